/** A plain text table: left-aligned first column, right-aligned numbers. */
export function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return `  (no ${head[0]}s)\n`;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`;
  return line(head) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}
