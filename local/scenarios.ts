import { rabbitmqPermissions } from '../lib/amqp/permissions';
import { tasksInBroker } from './faults';
import type { LocalStackOptions } from './local-stack';
import type { Scenario, ScenarioSummary } from './scenario';

/**
 * The end-to-end scenarios, one definition for the tests (test/e2e) and for the reliability
 * report (`npm run e2e:report`). Each says what it proves in `expect`: a list of checks that
 * must all hold on its summary.
 */
export interface E2eScenario {
  scenario: Scenario;
  /** One line per check that failed; empty when the scenario passed. */
  check: (s: ScenarioSummary) => string[];
}

/** A service with start-up, stabilization and idle times of seconds instead of minutes. */
const svc = (queues: string[], o: Partial<LocalStackOptions['services'][string]> = {}): LocalStackOptions['services'][string] => ({
  queues, minWorkers: 1, maxWorkers: 6, tasksPerWorkerPerMinute: 120, targetMinutes: 0.75, startupSeconds: 3, stabilizationSeconds: 6,
  scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 2, idleMinutes: 0.1, drainTimeoutSeconds: 90, initialDesired: 1, ...o,
});

/** Two services: short tasks on two queues (min 1), long tasks on one (scales to zero). */
const TWO_SERVICES: LocalStackOptions['services'] = {
  fast: svc(['default', 'emails']),
  reports: svc(['reports'], { minWorkers: 0, maxWorkers: 3, tasksPerWorkerPerMinute: 4, targetMinutes: 1, initialDesired: 0 }),
};

/** Short ECS stop timeout: a worker stopped while busy loses its task, so a wrong stop shows as loss. */
const STACK = { services: TWO_SERVICES, startupDelayMs: 1000, stopGraceMs: 2000, concurrency: 2 } satisfies LocalStackOptions;

const flood = (n: number, at = 0, tag = '') => [
  { queue: 'default', prefix: `short${tag}-d`, count: Math.ceil(n / 2), seconds: (i: number) => 0.1 + (i % 5) * 0.05, at },
  { queue: 'emails', prefix: `short${tag}-e`, count: Math.floor(n / 2), seconds: (i: number) => 0.1 + (i % 3) * 0.1, at },
];

/** Checks every scenario shares: nothing lost or run twice, drains stop exactly the drained tasks. */
function safety(s: ScenarioSummary): string[] {
  const out: string[] = [];
  if (s.lost !== 0) out.push(`${s.lost} task(s) lost`);
  if (s.runTwice !== 0) out.push(`${s.runTwice} task(s) run twice`);
  if (s.stoppedUndrained.length !== 0) out.push(`ECS stopped ${s.stoppedUndrained.length} task(s) no drain had emptied`);
  if (s.failedCyclesThatScaledDown !== 0) out.push(`${s.failedCyclesThatScaledDown} failed cycle(s) scaled down`);
  if (s.doubleActions !== 0) out.push(`two executions acted on one service ${s.doubleActions} time(s)`);
  if (s.secondsToMinimum === null) out.push('never back at the minimum fleet (a hang, or work left)');
  return out;
}
const need = (ok: boolean, why: string): string[] => (ok ? [] : [why]);

const soak = process.env.E2E_SOAK === '1';

/** The scenarios' task keys: `short<tag>-d3`, `long-r2`… */
const E2E_KEYS = /\b((?:short|long)\w*-[a-z]\d+)\b/g;

export const E2E_SCENARIOS: E2eScenario[] = [
  {
    // Twelve waves of short tasks, 15 s apart, with long tasks (5–70 s) running through them: the
    // fleet grows and shrinks with every wave, and the drains happen while long tasks run on
    // other workers (or on the drained ones: then the drain waits, or gives up for the next wave).
    // Waves 15 s apart and a 3 s window: the planner holds a scale-down for start-up + the window
    // after a scale-up (no reversal before new workers have worked), which must leave room for a
    // drain between two waves.
    scenario: {
      name: 'waves of tasks, long tasks (5–70 s) running through the drains',
      stack: { ...STACK, services: { ...TWO_SERVICES, fast: svc(['default', 'emails'], { targetMinutes: 0.2, stabilizationSeconds: 3 }) } },
      workload: [
        ...Array.from({ length: 12 }, (_, i) => flood(soak ? 1500 : 200, i * 15, String.fromCharCode(97 + i))).flat(),
        { queue: 'default', prefix: 'long-d', count: 2, seconds: (i) => [60, 20][i] },
        // One more long task at 55 s and at 110 s: one runs through every wave, so drains overlap long tasks whatever the timing.
        ...[55, 110].map((at, i) => ({ queue: 'default', prefix: `long-d${i + 1}-`, count: 1, seconds: () => 70, at })),
        // Long reports, spaced so the service scales to zero and back between them.
        ...[[0, 25], [35, 5], [65, 5], [95, 5], [125, 5]].map(([at, seconds], i) => ({ queue: 'reports', prefix: `long-r${i}-`, count: 2, seconds: (k: number) => seconds + 5 * k, at })),
      ],
      cycleSeconds: 2,
      maxSeconds: soak ? 900 : 240,
    },
    check: (s) => [
      ...safety(s),
      ...need(s.failedCycles === 0, `${s.failedCycles} failed cycle(s)`),
      // At least one wave in two ends in a drained scale-down: the planner holds a scale-down until new
      // workers have worked and the queue has been idle for idleMinutes, so not every wave does.
      ...need(s.drains >= 6, `only ${s.drains} drained scale-down(s), expected at least 6`),
      ...need(s.drainsWithLongTasksRunning >= 3, `only ${s.drainsWithLongTasksRunning} drain(s) while long tasks ran`),
    ],
  },
  {
    // Another execution at every tick: the lock lets exactly one act on a service.
    scenario: { name: 'two overlapping executions at every tick', stack: STACK, workload: [...flood(400), { queue: 'reports', prefix: 'long-r', count: 3, seconds: (i) => 5 + 5 * i }], cycleSeconds: 2, maxSeconds: 180, executionsPerTick: 2 },
    check: (s) => [...safety(s), ...need(s.failedCycles === 0, `${s.failedCycles} failed cycle(s)`), ...need(s.drains >= 2, `only ${s.drains} drained scale-down(s)`)],
  },
  {
    // Throttling and 5xx on every other tick: Step Functions retries; counts are absolute, never doubled.
    scenario: {
      name: 'ECS throttling and 5xx bursts every other tick',
      stack: STACK,
      workload: [...flood(400), { queue: 'reports', prefix: 'long-r', count: 3, seconds: (i) => 5 + 5 * i }],
      cycleSeconds: 2,
      maxSeconds: 180,
      beforeTick: ({ tick, stack }) => {
        if (tick % 2 === 0) {
          stack.ecs.injectFaults({ kind: 'throttle', count: 3 });
          stack.ecs.injectFaults({ kind: '5xx', count: 2 });
        }
      },
    },
    check: (s) => [...safety(s), ...need(s.failedCycles === 0, `${s.failedCycles} failed cycle(s): retries did not absorb the faults`), ...need(s.drains >= 2, `only ${s.drains} drained scale-down(s)`)],
  },
  {
    // The broker stops in the middle of a drain (CheckDrain) and comes back 3 s later: that cycle
    // fails without scaling down and a later one gives the stranded worker its queues back, or the
    // step rides the outage out on the client's reconnect.
    scenario: {
      name: 'Redis restarted in the middle of a drain',
      // The fixture's completion counts on a Redis of their own, as in the soak: a count written
      // as the broker stopped (executed, reply lost) and written again would read as a task run twice.
      // The lease is short so that a later cycle repairs what the failed one left within the
      // scenario, yet longer than the widest gap between two steps on a loaded machine: a 4 s lease
      // ran out between ScaleDown and ReleaseProtection at load average 17 and failed a cycle that
      // had already scaled down.
      stack: { ...STACK, persistentRedis: true, lockLeaseSeconds: 12, separateResults: true },
      brokerFault: true,
      workload: [...flood(400), { queue: 'reports', prefix: 'long-r', count: 3, seconds: (i) => 8 + 4 * i }],
      cycleSeconds: 2,
      maxSeconds: 180,
      cycleOptions: (ctx) => ({
        // Around the CheckDrain handler, not beside it: the broker is down before the step reads
        // anything, however slow the machine (a stop racing the step let it finish on a loaded one).
        wrap: (state, h) => (state !== 'CheckDrain' ? h : async (input: unknown) => {
          if (!restarted.has(ctx.stack)) {
            restarted.add(ctx.stack);
            restartLanded.push(true);
            ctx.log('  fault: redis-server stopped as CheckDrain starts, back in 3 s');
            // kombu pops a message (BRPOP) and writes it to `unacked` in two commands: one caught
            // between them by the stop is nowhere after it (docs/celery-facts.md). As in the soak, a
            // task published before the stop that no worker ever started and that is not in the
            // broker after the restart is the stop's loss; a task that started stays the product's.
            const sent = [...ctx.published];
            await ctx.stack.redis.stop();
            void new Promise((r) => setTimeout(r, 3000)).then(() => ctx.stack.redis.restart()).then(async () => {
              const after = new Set(await tasksInBroker(ctx.stack, E2E_KEYS));
              const started = await ctx.stack.results.hgetall('fixture:running');
              for (const k of sent) if (!after.has(k) && !(k in started)) ctx.lostToFault.add(k);
            }).catch((e) => ctx.log(`  fault: reading the broker after the restart failed: ${(e as Error).message}`));
          }
          return h(input);
        }),
      }),
    },
    // The stop lands before CheckDrain reads anything. The step either fails (then a later cycle
    // must repair what it left) or rides the 3 s out on the client's reconnect (seen under a load
    // average of 11): both are right, as long as safety holds (nothing lost or run twice, no
    // undrained stop, every task done and the fleet back at its minimum).
    check: (s) => [
      ...safety(s),
      ...need(restartLanded.pop() === true, 'the stop never landed: no CheckDrain ran'),
      // A cycle that failed measuring (an execution that started while the broker was down) left nothing to repair.
      ...need(s.failedCyclesThatActed === 0 || s.recoveries >= 1, `${s.failedCyclesThatActed} cycle(s) failed after acting and no later cycle repaired what they left`),
    ],
  },
  {
    // A draining worker is SIGKILLed: its task reads as stopped, the cycle ends, nothing hangs.
    scenario: {
      name: 'a draining worker killed with SIGKILL',
      stack: { services: { web: svc(['q1'], { tasksPerWorkerPerMinute: 60, targetMinutes: 1, initialDesired: 2, maxWorkers: 3 }) }, startupDelayMs: 500, stopGraceMs: 2000, concurrency: 1 },
      // Long enough that the drained worker is still running its task when it is killed.
      workload: [{ queue: 'q1', prefix: 'long-k', count: 2, seconds: () => 20 }],
      cycleSeconds: 2,
      maxSeconds: 120,
      cycleOptions: (ctx) => ({
        onState: (state, input) => {
          if (state !== 'CheckDrain' || killed.has(ctx.stack)) return;
          killed.add(ctx.stack);
          const node = (input as { draining: { node: string; taskId: string }[] }).draining[0];
          void ctx.stack.results.hgetall('fixture:running').then((running) => {
            for (const [key, host] of Object.entries(running)) if (host === node.node) ctx.lostToFault.add(key);
            ctx.log(`  fault: SIGKILL to ${node.node}, which was draining`);
            const w = ctx.stack.workers.get(node.taskId);
            if (w) process.kill(w.pid, 'SIGKILL');
          });
        },
      }),
    },
    check: (s) => [...safety(s), ...need(s.failedCycles === 0, `${s.failedCycles} failed cycle(s)`), ...need(s.lostToFault === 1, `the kill destroyed ${s.lostToFault} running task(s), expected 1: it did not land mid-task`)],
  },
  {
    // An operator drains all 4 workers while one runs a 60 s task, and the queue refills 12 s in:
    // the 3 idle ones go together at the first release, and the slow one does not hold back the scale-up.
    scenario: {
      name: 'a drain of 4 where one runs a 60 s task while the queue refills',
      stack: { services: { web: svc(['q'], { minWorkers: 0, tasksPerWorkerPerMinute: 60, targetMinutes: 0.5, initialDesired: 4, drainTimeoutSeconds: 120 }) }, startupDelayMs: 1000, stopGraceMs: 2000, concurrency: 1 },
      workload: [{ queue: 'q', prefix: 'long-slow', count: 1, seconds: () => 60 }, { queue: 'q', prefix: 'refill', count: 120, seconds: () => 0.5, at: 12 }],
      cycleSeconds: 2,
      maxSeconds: 180,
      // Once all 4 workers are up and the 60 s task runs on one of them (a fixed tick raced both on a
      // loaded machine, and the drain then found a different fleet), never again.
      input: (ctx) => {
        const seen = slowDrain.get(ctx.stack);
        if (!seen || seen.requested || !seen.slowRunning || ctx.stack.liveWorkers('web').length < 4) return {};
        seen.requested = true;
        return { services: { web: { desired: 0 } }, note: 'drain every worker' };
      },
      cycleOptions: (ctx) => {
        let seen = slowDrain.get(ctx.stack);
        if (!seen) {
          seen = { polls: [], scaleUpsWhileSlowRan: 0, slowRunning: false, requested: false };
          slowDrain.set(ctx.stack, seen);
          slowDrainRuns.push(seen);
        }
        const mine = seen;
        let polls = 0;
        return {
          onState: (state, input) => {
            if (state === 'MeasureQueues' && !mine.slowRunning) void ctx.stack.results.hkeys('fixture:running').then((k) => { if (k.includes('long-slow0')) mine.slowRunning = true; }, () => undefined);
            if (state === 'CheckDrain') polls += 1;
            if (state === 'ScaleDown') {
              const d = input as { empty: unknown[]; draining: unknown[] };
              mine.polls.push({ polls, empty: d.empty.length, draining: d.draining.length });
            }
            if (state === 'ScaleUp') void ctx.stack.results.hkeys('fixture:running').then((k) => { if (k.includes('long-slow0')) mine.scaleUpsWhileSlowRan += 1; }, () => undefined);
          },
        };
      },
    },
    check: (s) => {
      const seen = [...slowDrainRuns].pop();
      return [
        ...safety(s),
        ...need(s.failedCycles === 0, `${s.failedCycles} failed cycle(s)`),
        // Not at the very first poll: a node is empty once it has answered without its queues for
        // CANCEL_SETTLE_MS (lib/cycle/check-drain.ts), a few of this scenario's 200 ms polls.
        ...need(seen?.polls[0]?.empty === 3 && seen.polls[0].draining === 1, `the 3 idle workers were not removed together, at the first release, while the slow one still drained: ${JSON.stringify(seen?.polls)}`),
        ...need((seen?.scaleUpsWhileSlowRan ?? 0) >= 1, 'no scale-up while the 60 s task still ran: the slow drain held it back'),
      ];
    },
  },
  {
    // Every worker runs a long task when the plan says one fewer: the drain times out, queues go back, nobody is removed early.
    scenario: {
      name: 'a drain that times out on long tasks',
      stack: { services: { reports: svc(['reports'], { minWorkers: 0, maxWorkers: 2, tasksPerWorkerPerMinute: 10, targetMinutes: 1, drainTimeoutSeconds: 4, initialDesired: 2 }) }, startupDelayMs: 500, stopGraceMs: 2000, concurrency: 1 },
      // 30 s tasks: the first drain must begin (stabilization window, slow cycles on two busy cores:
      // 11 s in on one CI run under load) and time out (4 s) well before they end, or it finds them done.
      workload: [{ queue: 'reports', prefix: 'long-t', count: 2, seconds: () => 30 }],
      cycleSeconds: 2,
      maxSeconds: 120,
    },
    check: (s) => [...safety(s), ...need(s.drainTimeouts >= 1, 'no drain timed out'), ...need(s.failedCycles === 0, `${s.failedCycles} failed cycle(s)`)],
  },
];

/**
 * The scenarios on RabbitMQ: each on a RabbitMQ node of its own (workers on pyamqp, state in the
 * stack's DynamoDB), the autoscaler connecting as a user with only the permissions
 * lib/amqp/permissions.ts grants. Those whose fault is the Redis broker itself (`brokerFault`: a
 * redis-server stopped, kombu's `unacked` hash) are left out: they test Redis's failure modes, not
 * the autoscaler's on RabbitMQ. Every other check holds as it is on both brokers: each reads the
 * summary, which runScenario builds the same way on either (depth through the broker, drain records
 * through the state store, the fixture's counts in its own Redis).
 */
export function rabbitmqScenarios(): E2eScenario[] {
  return E2E_SCENARIOS.filter((e) => !e.scenario.brokerFault).map((e) => ({
    ...e,
    scenario: {
      ...e.scenario,
      name: `${e.scenario.name} (RabbitMQ)`,
      stack: { ...e.scenario.stack, broker: 'rabbitmq', rabbitUser: { user: 'autoscaler', password: 'e2e-rabbit-pw', permissions: rabbitmqPermissions() } },
    },
  }));
}

// What the slow-drain scenario saw, per stack; its check reads the last run's.
interface SlowDrainSeen { polls: { polls: number; empty: number; draining: number }[]; scaleUpsWhileSlowRan: number; slowRunning: boolean; requested: boolean }
const slowDrainRuns: SlowDrainSeen[] = [];
const slowDrain = new WeakMap<object, SlowDrainSeen>();

// Faults fire once per stack (a scenario's hooks are called for every execution).
const restarted = new WeakSet<object>();
/** One entry per run of the Redis-restart scenario: whether its stop landed. */
const restartLanded: boolean[] = [];
const killed = new WeakSet<object>();
