import { runScenario } from '../../local/scenario';
import { E2E_SCENARIOS } from '../../local/scenarios';

// Each scenario runs the product on the local stack (real redis-server, real Celery workers,
// the real state machine, the ECS emulator) and checks what it promises. E2E_SOAK=1 floods
// thousands of tasks instead of hundreds. `npm run e2e:report` runs the same list into a table.
describe('zero task loss, end to end', () => {
  test.each(E2E_SCENARIOS.map((e) => [e.scenario.name, e] as const))('%s', async (_name, e) => {
    const lines: string[] = [];
    const s = await runScenario(e.scenario, (l) => lines.push(l));
    const failed = e.check(s);
    if (failed.length > 0) process.stderr.write(`${e.scenario.name}\n${lines.join('\n')}\n${JSON.stringify(s, null, 2)}\n`);
    expect(failed).toEqual([]);
  }, 15 * 60 * 1000);
});
