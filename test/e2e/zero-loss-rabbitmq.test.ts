import { runScenario } from '../../local/scenario';
import { rabbitmqScenarios } from '../../local/scenarios';

// The end-to-end scenarios of local/scenarios.ts on RabbitMQ (a node of the test's own, real Celery
// workers on pyamqp, state in DynamoDB, the autoscaler as a least-privilege user), each checked as
// on Redis: nothing lost or run twice, ECS stops only drained workers, back at the minimum fleet.
// The Redis-restart scenario is not among them (rabbitmqScenarios says why).
describe('zero task loss, end to end, on RabbitMQ', () => {
  test.each(rabbitmqScenarios().map((e) => [e.scenario.name, e] as const))('%s', async (_name, e) => {
    const lines: string[] = [];
    const s = await runScenario(e.scenario, (l) => lines.push(l));
    const failed = e.check(s);
    if (failed.length > 0) process.stderr.write(`${e.scenario.name}\n${lines.join('\n')}\n${JSON.stringify(s, null, 2)}\n`);
    expect(failed).toEqual([]);
  }, 15 * 60 * 1000);
});
