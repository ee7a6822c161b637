import { putSection, stamped } from '../../bench/sections';

describe('docs/benchmarks.md sections', () => {
  const doc = '# Benchmarks\n\n<!-- bench:measure -->\nold measure\n<!-- /bench:measure -->\n\n<!-- bench:simulate -->\nold simulate\n<!-- /bench:simulate -->\n';
  test('running one section replaces only that one', () => {
    const out = putSection(doc, 'simulate', 'new simulate $1 $&');
    expect(out).toContain('old measure');
    expect(out).toContain('<!-- bench:simulate -->\nnew simulate $1 $&\n<!-- /bench:simulate -->');
    expect(out).not.toContain('old simulate');
  });
  test('a section not in the file yet is appended', () => {
    expect(putSection('# Benchmarks\n', 'simulate', 'x')).toBe('# Benchmarks\n\n<!-- bench:simulate -->\nx\n<!-- /bench:simulate -->\n');
  });
  test('a stamped body carries the run\'s date and Node version under its heading, one blank line either side', () => {
    expect(stamped('## x: what\n\n\nbody')).toMatch(/^## x: what\n\n_Run on \d{4}-\d\d-\d\d \(node v[\d.]+\)\._\n\nbody$/);
  });
});
