import { LINE_MAX, NAMES_SHOWN, clip, fitting, named } from '../../lib/cycle/sizes';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

describe('named: a list a person reads, a few names and a count of the rest', () => {
  test.each<[string, string[], number | undefined, string]>([
    ['none', [], undefined, ''],
    ['one', names(1), undefined, 'n1'],
    ['exactly as many as shown: all of them, no "and 0 more"', names(NAMES_SHOWN), undefined, 'n1, n2, n3, n4, n5'],
    ['one more than shown', names(NAMES_SHOWN + 1), undefined, 'n1, n2, n3, n4, n5 and 1 more'],
    ['many', names(40), undefined, 'n1, n2, n3, n4, n5 and 35 more'],
    ['a shorter list shown', names(3), 2, 'n1, n2 and 1 more'],
  ])('%s', (_name, list, shown, text) => {
    expect(named(list, shown)).toBe(text);
  });
});

describe('clip: a line cut to its maximum, saying that it was', () => {
  test.each<[string, string, number | undefined, string]>([
    ['a short line is kept', 'scaled up 2 → 5', undefined, 'scaled up 2 → 5'],
    ['a line of exactly the maximum is kept whole', 'abcde', 5, 'abcde'],
    ['one character over: cut with an ellipsis, the maximum in all', 'abcdef', 5, 'abcd…'],
    ['a long reason: its first 999 characters and the ellipsis', 'x'.repeat(LINE_MAX + 500), undefined, `${'x'.repeat(LINE_MAX - 1)}…`],
  ])('%s', (_name, text, max, out) => {
    expect(clip(text, max)).toBe(out);
    expect(clip(text, max).length).toBeLessThanOrEqual(max ?? LINE_MAX);
  });
});

describe('fitting: the longest prefix whose JSON fits the budget', () => {
  // ["a","b","c"]: 2 for the brackets, 3 per item, 1 per comma: 5, 9, 13 bytes for 1, 2, 3 items.
  const items = ['a', 'b', 'c'];
  test.each<[number, string[]]>([
    [13, ['a', 'b', 'c']],
    [12, ['a', 'b']],
    [9, ['a', 'b']],
    [8, ['a']],
    [5, ['a']],
    [1, ['a']],
  ])('a budget of %i bytes takes %j (at least one item, whatever the budget)', (budget, out) => {
    expect(fitting(items, budget)).toEqual(out);
    if (out.length > 1) expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThanOrEqual(budget);
  });

  test('no items: none', () => {
    expect(fitting([], 100)).toEqual([]);
  });
});
