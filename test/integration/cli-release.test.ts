import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CeleryControl } from '../../lib/celery/control';
import { LocalStack } from '../../local/local-stack';
import { waitFor } from '../../local/processes';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');

const svc = {
  queues: ['q1', 'q2'], minWorkers: 0, maxWorkers: 4, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 120,
};

describe('celery-autoscaler release (real workers, the ECS emulator, the real CLI)', () => {
  let stack: LocalStack;
  afterAll(async () => {
    await stack?.stop();
  });

  test('after a cycle stopped mid-drain: every worker consumes all its queues again, no task is protected, the records are gone', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 3 } }, concurrency: 1 });
    await stack.publishRecorded('q1', ['slow'], 40);
    const control = new CeleryControl(stack.client, stack.config.broker);
    try {
      const busy = await waitFor('a worker to run the slow task', async () => Object.entries((await control.active()).replies).find(([, t]) => t.length === 1)?.[0]);
      // Drain all three: the idle two are removed at ScaleDown, which protects the busy one; it stays cancelled.
      let scaledDown = false;
      const r = await stack.cycle({ services: { web: { desired: 0 } } }, {
        wrap: (state, h) => async (input) => {
          if (state === 'ScaleDown') {
            const out = await h(input);
            scaledDown = true;
            return out;
          }
          // The cycle stops mid-drain and runs no cleanup (as a stopped execution, or a dead Lambda).
          if ((state === 'CheckDrain' && scaledDown) || state === 'ReleaseAfterError') throw new Error('stopped mid-drain');
          return h(input);
        },
      });
      expect(r.status).toBe('FAILED');
      const prefix = 'celery-autoscaler:local:';
      expect(await stack.client.exists(`${prefix}lock:web`, `${prefix}draining:web`, `${prefix}protected:web`)).toBe(3);
      expect((await control.activeQueues({ destination: [busy] })).replies[busy]).toEqual([]);
      expect(stack.ecs.liveTasks('local', 'web').filter((t) => t.protectedUntil !== null && t.protectedUntil > Date.now())).toHaveLength(1);

      const env = { ...process.env };
      const args = [BIN, 'release', '--config', process.env.AUTOSCALER_CONFIG_PATH as string, '--stage', 'local'];
      const dry = await run('node', [...args, '--dry-run'], { env });
      expect(dry.stdout).toMatch(new RegExp(`^web: would give q1, q2 back to ${busy} \\(add_consumer\\)$`, 'm'));
      expect(dry.stdout).toMatch(/^web: would clear the scale-in protection of 1 task\(s\) it set/m);
      expect(await stack.client.exists(`${prefix}lock:web`, `${prefix}draining:web`, `${prefix}protected:web`)).toBe(3);

      const { stdout } = await run('node', args, { env });
      process.stderr.write(`release printed:\n${stdout}`);
      const lines = stdout.trim().split('\n');
      expect(lines).toEqual([
        `web: gave q1, q2 back to ${busy} (add_consumer)`,
        'web: cleared the scale-in protection of 1 task(s) it set (UpdateTaskProtection)',
        expect.stringMatching(/^web: removed the lease held by local-\d+-1$/),
        expect.stringMatching(new RegExp(`^web: removed the drain record of cycle local-\\d+-1 \\(.*${busy}.*\\)$`)),
      ]);
      // add_consumer takes effect just after its reply (docs/celery-facts.md).
      const queues = await waitFor('every worker to consume q1 and q2', async () => {
        const a = await control.activeQueues();
        const all = Object.values(a.replies).map((qs) => qs.map((q) => q.name).sort());
        return all.length > 0 && all.every((qs) => qs.join() === 'q1,q2') ? a.replies : null;
      });
      expect(Object.keys(queues)).toEqual(stack.liveWorkers('web'));
      expect(stack.ecs.liveTasks('local', 'web').every((t) => t.protectedUntil === null || t.protectedUntil <= Date.now())).toBe(true);
      expect(await stack.client.exists(`${prefix}lock:web`, `${prefix}draining:web`, `${prefix}protected:web`)).toBe(0);

      const again = await run('node', args, { env });
      expect(again.stdout).toBe('web: nothing to release: no worker lacks a queue, no protection, lease or drain record\n');
    } finally {
      control.close();
    }
  });
});
