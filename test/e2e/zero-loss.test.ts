import { CeleryControl } from '../../lib/celery/control';
import { runDemo } from '../support/demo';
import { LocalStack } from '../support/local-stack';
import { waitFor } from '../support/processes';

// The long soak (many more tasks and drains) runs with E2E_SOAK=1.
const soak = process.env.E2E_SOAK === '1';

describe('zero task loss, end to end (real workers, real state machine, ECS emulator)', () => {
  test('a flood grows the fleet, drains shrink it, and no task is lost or run twice', async () => {
    const s = await runDemo({ shortTasks: soak ? 5000 : 600, longTasks: soak ? 40 : 6, cycleSeconds: 2, maxSeconds: soak ? 900 : 240, log: () => undefined });
    expect(s.failedCycles).toBe(0);
    expect(s.lost).toBe(0);
    expect(s.runTwice).toBe(0);
    expect(s.completed).toBe(s.sent);
    expect(s.scaleUps).toBeGreaterThanOrEqual(1);
    expect(s.drains).toBeGreaterThanOrEqual(2);
    expect(s.secondsToMinimum).not.toBeNull();
  });

  test('a worker killed with SIGKILL mid-drain: the cycle ends, nothing hangs, the other task finishes', async () => {
    const stack = await LocalStack.start({
      services: { web: { queues: ['q1'], minWorkers: 1, maxWorkers: 3, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0, stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 30, initialDesired: 2 } },
      concurrency: 1,
    });
    try {
      await stack.publishRecorded('q1', ['k1', 'k2'], 4);
      const control = new CeleryControl(stack.client, stack.config.broker);
      await waitFor('both workers busy', async () => Object.values((await control.active()).replies).filter((t) => t.length === 1).length === 2);
      control.close();
      let killed = '';
      const r = await stack.cycle({}, {
        onState: (state, input) => {
          if (state !== 'CheckDrain' || killed) return;
          const node = (input as { drain: { node: string; taskId: string }[] }).drain[0];
          killed = node.node;
          process.kill(stack.workers.get(node.taskId)!.pid, 'SIGKILL');
        },
      });
      expect(killed).not.toBe('');
      expect(r.status).toBe('SUCCEEDED');
      await stack.ecs.settle();
      expect(stack.liveWorkers('web')).not.toContain(killed);
      // The survivor's task completes; the killed worker's running task is SIGKILL's loss, not the drain's.
      await waitFor('a task to complete', async () => Object.keys(await stack.completed()).length >= 1, 15_000, 100);
      expect(await stack.client.get('celery-autoscaler:local:lock:web')).toBeNull();
    } finally {
      await stack.stop();
    }
  });
});
