/**
 * docs/benchmarks.md keeps each section between `<!-- bench:NAME -->` markers: a run of one
 * section replaces only that one (or appends it), so the others stay as they were.
 */
export function putSection(doc: string, name: string, body: string): string {
  const block = `<!-- bench:${name} -->\n${body.trimEnd()}\n<!-- /bench:${name} -->`;
  const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  return re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`;
}
