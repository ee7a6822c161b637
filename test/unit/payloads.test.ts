import { drainSchema, type DrainNode } from '../../lib/cycle/payloads';
import { DRAIN_NODES_BUDGET_BYTES } from '../../lib/cycle/sizes';
import { drain } from '../support/fake-env';

/**
 * Nodes whose list, written as JSON, takes exactly `bytes` bytes: names of 200 characters, the
 * last one padded to make up the rest.
 */
function nodesOf(bytes: number): DrainNode[] {
  const at = (i: number, pad: number): DrainNode => ({ node: `celery@${'h'.repeat(pad)}`, taskId: `task${String(i).padStart(4, '0')}` });
  const size = (ns: DrainNode[]) => Buffer.byteLength(JSON.stringify(ns), 'utf8');
  const nodes: DrainNode[] = [];
  while (size([...nodes, at(nodes.length, 200), at(nodes.length + 1, 1)]) < bytes) nodes.push(at(nodes.length, 200));
  const last = at(nodes.length, 1);
  const out = [...nodes, at(nodes.length, 1 + bytes - size([...nodes, last]))];
  expect(size(out)).toBe(bytes);
  return out;
}

/** `nodes` dealt round-robin to the drain's draining, empty and released lists. */
const spread = (nodes: DrainNode[]) => drain({
  draining: nodes.filter((_, i) => i % 3 === 0),
  empty: nodes.filter((_, i) => i % 3 === 1),
  released: nodes.filter((_, i) => i % 3 === 2),
});

describe('drainSchema: a drain\'s nodes fit their budget, whichever list they are in', () => {
  const message = `a drain's nodes must fit ${DRAIN_NODES_BUDGET_BYTES} bytes`;

  test.each([
    ['a few nodes', 200],
    ['nodes filling the budget exactly', DRAIN_NODES_BUDGET_BYTES],
  ])('%s: accepted', (_name, bytes) => {
    const d = spread(nodesOf(bytes));
    expect(drainSchema.safeParse(d)).toEqual({ success: true, data: d });
  });

  test('one byte over the budget: rejected, saying what the budget is', () => {
    const parsed = drainSchema.safeParse(spread(nodesOf(DRAIN_NODES_BUDGET_BYTES + 1)));
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error.issues.map((i) => i.message)).toEqual([message]);
  });

  test.each(['draining', 'empty', 'released'] as const)('the nodes in %s count as well', (list) => {
    // Each list alone fits; the drain's nodes together do not.
    const nodes = nodesOf(DRAIN_NODES_BUDGET_BYTES + 1);
    const third = Math.ceil(nodes.length / 3);
    const lists = { draining: nodes.slice(0, third), empty: nodes.slice(third, 2 * third), released: nodes.slice(2 * third) };
    expect(drainSchema.safeParse(drain(lists)).success).toBe(false);
    // Without `list`'s nodes the rest fits: those nodes are what tipped it over.
    expect(drainSchema.safeParse(drain({ ...lists, [list]: [] })).success).toBe(true);
  });
});
