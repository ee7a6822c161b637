/** A plain text table: left-aligned first column (and any listed in `left`), right-aligned numbers. */
export function table(head: string[], rows: string[][], left: number[] = [0]): string {
  if (rows.length === 0) return `  (no ${head[0]}s)\n`;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (c: string, i: number) => (left.includes(i) ? (i === head.length - 1 ? c : c.padEnd(widths[i])) : c.padStart(widths[i]));
  const line = (cells: string[]) => `  ${cells.map(cell).join('  ')}\n`;
  return line(head) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}

/** 12.345 → "12.3"; whole numbers stay whole. */
export const round1 = (x: number): string => (Math.round(x * 10) / 10).toString();
