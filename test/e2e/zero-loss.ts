import { runScenario } from '../../local/scenario';
import { E2E_SCENARIOS, rabbitmqScenarios } from '../../local/scenarios';

/**
 * The end-to-end scenarios run in SHARDS test files, one jest worker each: a scenario waits on
 * wall-clock cycles (a few % CPU), so three at a time take about a third of the time. One
 * scenario at a time per process, as the local stack sets process.env for the handlers it runs.
 */
export const SHARDS = 3;
export const RABBITMQ_SHARDS = 2;

// Each scenario runs the product on the local stack (real redis-server, real Celery workers,
// the real state machine, the ECS emulator) and checks what it promises. E2E_SOAK=1 floods
// thousands of tasks instead of hundreds. `npm run e2e:report` runs the same list into a table.
export function describeZeroLoss(shard: number, broker: 'redis' | 'rabbitmq' = 'redis'): void {
  // On RabbitMQ (a node of the test's own, workers on pyamqp, state in DynamoDB, the autoscaler as a
  // least-privilege user) every scenario but the Redis-restart one (rabbitmqScenarios says why), in
  // RABBITMQ_SHARDS files.
  const [list, shards] = broker === 'redis' ? [E2E_SCENARIOS, SHARDS] : [rabbitmqScenarios(), RABBITMQ_SHARDS];
  const mine = list.filter((_, i) => i % shards === shard);
  describe(`zero task loss, end to end${broker === 'rabbitmq' ? ', on RabbitMQ' : ''} (part ${shard + 1} of ${shards})`, () => {
    test.each(mine.map((e) => [e.scenario.name, e] as const))('%s', async (_name, e) => {
      const lines: string[] = [];
      const s = await runScenario(e.scenario, (l) => lines.push(l));
      const failed = e.check(s);
      if (failed.length > 0) process.stderr.write(`${e.scenario.name}\n${lines.join('\n')}\n${JSON.stringify(s, null, 2)}\n`);
      expect(failed).toEqual([]);
    }, 15 * 60 * 1000);
  });
}
