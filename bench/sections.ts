/**
 * docs/benchmarks.md keeps each section between `<!-- bench:NAME -->` markers: a run of one
 * section replaces only that one (or appends it), so the others stay as they were.
 */
export function putSection(doc: string, name: string, body: string): string {
  const block = `<!-- bench:${name} -->\n${body.trimEnd()}\n<!-- /bench:${name} -->`;
  const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  return re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`;
}

/** A section's body with the run's date and Node version under its heading (its first line). */
export function stamped(body: string): string {
  const [heading, ...rest] = body.split('\n');
  return `${heading}\n\n_Run on ${new Date().toISOString().slice(0, 10)} (node ${process.version})._\n\n${rest.join('\n').replace(/^\n+/, '')}`;
}
