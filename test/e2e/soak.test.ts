import { FAULT_KINDS } from '../../local/faults';
import { runSoak } from '../../local/soak';

// A one-minute seeded fault soak on real workers, every fault kind (`npm run soak` runs longer ones).
describe('seeded fault soak', () => {
  test('a minute of load and faults: nothing lost or run twice, every invariant holds', async () => {
    const lines: string[] = [];
    const s = await runSoak({ minutes: 1, seed: 20261201, log: (l) => lines.push(l), kinds: FAULT_KINDS });
    if (s.violations.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
    expect(s.violations).toEqual([]);
    expect(s.tasks.lost).toEqual([]);
    expect(Object.values(s.faults).reduce((a, f) => a + f.injected, 0)).toBeGreaterThanOrEqual(4);
  }, 5 * 60 * 1000);
});
