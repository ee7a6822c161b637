import { pool } from '../../lib/ecs/limits';

describe('pool', () => {
  test('after the first failure no worker starts another item', async () => {
    const started: number[] = [];
    let releaseSlow = (): void => undefined;
    const slow = new Promise<void>((r) => { releaseSlow = r; });
    const run = pool([0, 1, 2, 3, 4], 2, async (x) => {
      started.push(x);
      if (x === 0) throw new Error('first fails');
      if (x === 1) await slow;
      return x;
    });
    await expect(run).rejects.toThrow('first fails');
    releaseSlow();
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([0, 1]);
  });

  test('results come back in input order whatever order they finish in', async () => {
    const out = await pool([30, 0, 10], 3, async (ms, i) => { await new Promise((r) => setTimeout(r, ms)); return `${i}:${ms}`; });
    expect(out).toEqual(['0:30', '1:0', '2:10']);
    expect(await pool([], 4, async (x: number) => x)).toEqual([]);
  });
});
