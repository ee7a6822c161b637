import type { LocalCycleOptions, LocalCycleResult } from './run-cycle';
import { LocalStack, type LocalStackOptions } from './local-stack';

/** Tasks put on a queue at a moment of the run; each counts its completions by key. */
export interface Burst {
  queue: string;
  /** Task keys are `<prefix><i>`; keys starting with `long` are the long tasks. */
  prefix: string;
  count: number;
  seconds: (i: number) => number;
  /** Seconds after the start (default 0). */
  at?: number;
}

export interface ScenarioContext {
  tick: number;
  stack: LocalStack;
  /** Task keys the fault itself destroyed (a SIGKILLed worker's running task): not the autoscaler's loss. */
  lostToFault: Set<string>;
  log: (line: string) => void;
  /** Task keys published so far. */
  published: readonly string[];
}

/** A run of the product on the local stack: a workload, a schedule, and the faults injected. */
export interface Scenario {
  name: string;
  stack: LocalStackOptions;
  workload: Burst[];
  /** Seconds between executions, like the EventBridge schedule (sped up). */
  cycleSeconds: number;
  /** Give up after this long. */
  maxSeconds: number;
  /** Executions started at each tick: 2 runs two overlapping executions every time. */
  executionsPerTick?: number;
  beforeTick?: (ctx: ScenarioContext) => Promise<void> | void;
  /** The execution input at a tick (an operator's run by hand); `{}`, as the schedule sends, otherwise. */
  input?: (ctx: ScenarioContext) => unknown;
  /** Per execution, e.g. an `onState` that breaks something in the middle of a cycle. */
  cycleOptions?: (ctx: ScenarioContext) => Partial<LocalCycleOptions>;
  /**
   * The fault takes the broker away: a message a worker held then waits in kombu's `unacked` for
   * visibility_timeout (1 h) before Celery delivers it again. Such a task is not lost, and is
   * counted apart (`waitingInUnacked`); in every other scenario it counts as lost.
   */
  brokerFault?: boolean;
}

export interface ScenarioSummary {
  name: string;
  sent: number;
  completed: number;
  /** Tasks never completed, except those the injected fault destroyed itself. */
  lost: number;
  lostToFault: number;
  /**
   * Where the lost tasks are: first few keys, and how many sit in kombu's `unacked` (taken, never
   * acknowledged; Redis only: RabbitMQ gives a closed channel's unacknowledged messages back at once).
   */
  lostKeys: string[];
  lostInUnacked: number;
  /** brokerFault scenarios: tasks whose message waits in kombu's `unacked` for redelivery. */
  waitingInUnacked: number;
  runTwice: number;
  cycles: number;
  failedCycles: number;
  /** Failed executions that reached ScaleDown: must be 0 (nothing is scaled down on a failed cycle). */
  failedCyclesThatScaledDown: number;
  /** Failed executions that got past MeasureQueues and ComputePlan, so may have left something for a later cycle to repair. */
  failedCyclesThatActed: number;
  scaleUps: number;
  /** Scale-downs (each drains one or more workers first). */
  drains: number;
  drainedWorkers: number;
  drainTimeouts: number;
  /** Scale-downs during which a long task was running somewhere. */
  drainsWithLongTasksRunning: number;
  /** Tasks ECS stopped on scale-in that no ScaleDown had drained: must be 0. */
  stoppedUndrained: string[];
  /** Ticks at which two overlapping executions both acted on the same service: must be 0. */
  doubleActions: number;
  recoveries: number;
  peakWorkers: number;
  workerMinutes: number;
  /** From the last task's completion until every service is back at its minimum; null if never. */
  secondsToMinimum: number | null;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const keysOf = (b: Burst) => Array.from({ length: b.count }, (_, i) => `${b.prefix}${i}`);

const bar = (done: number, total: number, width = 20): string => {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor((100 * done) / Math.max(1, total))).padStart(3)}%`;
};

/** Summarize's output (holds as lines), or ComputePlan's when nothing changed (holds as objects). */
interface Output { actions?: string[]; holds?: (string | { service: string; reason: string })[]; recovered?: string[] }

/**
 * Runs a scenario end to end: the broker (a redis-server, or a RabbitMQ node with `stack.broker`
 * rabbitmq), the ECS emulator whose tasks are real Celery workers, the workload, and the real
 * state machine started every `cycleSeconds` whether or not the previous execution has finished
 * (as the schedule does; the service lock keeps them apart). Every task counts its completions in
 * the fixture's Redis (`stack.results`), so loss and duplicates are exact on either broker.
 * Prints a line per execution; stops when every task is done and every service is back at
 * its minimum fleet.
 */
export async function runScenario(sc: Scenario, log: (line: string) => void, onStack?: (s: LocalStack) => void): Promise<ScenarioSummary> {
  const stack = await LocalStack.start(sc.stack);
  onStack?.(stack);
  const services = Object.keys(sc.stack.services);
  const queues = [...new Set(Object.values(sc.stack.services).flatMap((s) => s.queues))];
  const all = sc.workload.flatMap(keysOf);
  const published: string[] = [];
  const s: ScenarioSummary = {
    name: sc.name, sent: all.length, completed: 0, lost: 0, lostToFault: 0, lostKeys: [], lostInUnacked: 0, waitingInUnacked: 0, runTwice: 0, cycles: 0, failedCycles: 0, failedCyclesThatScaledDown: 0, failedCyclesThatActed: 0,
    scaleUps: 0, drains: 0, drainedWorkers: 0, drainTimeouts: 0, drainsWithLongTasksRunning: 0, stoppedUndrained: [], doubleActions: 0,
    recoveries: 0, peakWorkers: 0, workerMinutes: 0, secondsToMinimum: null, seconds: 0,
  };
  const started = Date.now();
  const lostToFault = new Set<string>();
  const drainedTasks = new Set<string>();
  const actedAt = new Map<number, string[]>();
  const inFlight = new Set<Promise<void>>();
  let workerMs = 0;
  let last = started;
  const sampler = setInterval(() => {
    const now = Date.now();
    const live = services.reduce((a, svc) => a + stack.ecs.liveTasks('local', svc).length, 0);
    workerMs += live * (now - last);
    last = now;
    s.peakWorkers = Math.max(s.peakWorkers, live);
  }, 250);

  const line = async (n: number, r: LocalCycleResult): Promise<string> => {
    let depth = queues.map(() => '?');
    let done = 0;
    const draining: Record<string, number> = {};
    try {
      const depths = await stack.queueDepths(queues);
      depth = queues.map((q) => String(depths[q]));
      done = Object.keys(await stack.completed()).length;
      const records = await stack.drainRecords(services);
      for (const svc of services) draining[svc] = (records[svc]?.nodes ?? []).length;
    } catch {
      /* the broker is down in a fault scenario: the line shows "?" */
    }
    const fleet = services.map((svc) => `${svc} ${stack.ecs.desiredCount('local', svc)}/${stack.ecs.liveTasks('local', svc).filter((t) => t.lastStatus === 'RUNNING').length}/${draining[svc] ?? '?'}`).join(' ');
    const out = (r.output ?? {}) as Output;
    // A service held back from a scale-down (workers that did not answer, ECS unreadable) says why, not "no change".
    const held = (out.holds ?? []).map((h) => (typeof h === 'string' ? h : `${h.service}: ${h.reason}`)).filter((h) => /^[^:]+: no scale-down:/.test(h));
    const decision = r.status === 'FAILED' ? `FAILED ${r.error}: ${r.cause}` : [...(out.recovered ?? []).map((x) => `repaired ${x}`), ...(out.actions ?? []), ...held].join('; ') || 'no change';
    return `#${String(n).padStart(3)} ${new Date().toISOString().slice(11, 19)}  pending ${queues.map((q, i) => `${q} ${depth[i]}`).join(' ')} | workers desired/running/draining: ${fleet} | ${bar(done, all.length)} | ${decision}`;
  };

  const launch = (ctx: ScenarioContext) => {
    const opts = sc.cycleOptions?.(ctx) ?? {};
    const states: string[] = [];
    const p = stack.cycle(sc.input?.(ctx) ?? {}, {
      ...opts,
      onState: (state, input) => {
        states.push(state);
        opts.onState?.(state, input);
        if (state !== 'ScaleDown') return;
        for (const d of (input as { empty?: { taskId: string }[] }).empty ?? []) drainedTasks.add(d.taskId);
        void stack.results.hkeys('fixture:running').then((keys) => { if (keys.some((k) => k.startsWith('long'))) s.drainsWithLongTasksRunning += 1; }, () => undefined);
      },
    }).then(async (r) => {
      s.cycles += 1;
      const out = (r.output ?? {}) as Output;
      if (r.status === 'FAILED') {
        s.failedCycles += 1;
        if (states.includes('ScaleDown')) s.failedCyclesThatScaledDown += 1;
        if (states.some((st) => !['MeasureQueues', 'ComputePlan', 'ReleaseAfterError', 'Summarize'].includes(st))) s.failedCyclesThatActed += 1;
      }
      for (const a of out.actions ?? []) {
        if (/: scaled up/.test(a)) s.scaleUps += 1;
        const down = /: scaled down \d+ → \d+: removed (.*?) \(/.exec(a);
        if (down) {
          s.drains += 1;
          s.drainedWorkers += down[1].split(', ').length;
        }
        if (/drain timed out/.test(a)) s.drainTimeouts += 1;
        if (!/: held/.test(a)) actedAt.set(ctx.tick, [...(actedAt.get(ctx.tick) ?? []), a.split(':')[0]]);
      }
      s.recoveries += (out.recovered ?? []).length;
      log(await line(s.cycles, r));
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  try {
    const pending = [...sc.workload];
    log(`${sc.name}: ${all.length} tasks; an execution every ${sc.cycleSeconds} s`);
    let allDoneAt: number | null = null;
    for (let tick = 1; ; tick += 1) {
      const tickStart = Date.now();
      const elapsed = (tickStart - started) / 1000;
      if (elapsed > sc.maxSeconds) break;
      for (const b of pending.filter((x) => (x.at ?? 0) <= elapsed)) {
        await stack.publishRecorded(b.queue, keysOf(b), b.seconds);
        published.push(...keysOf(b));
        pending.splice(pending.indexOf(b), 1);
      }
      // Done when every task has run, every service is back at its minimum and no execution is left.
      const unacked = sc.brokerFault ? await stack.unackedText() : '';
      const done = await stack.completed().then((c) => all.filter((k) => (c[k] ?? 0) >= 1 || lostToFault.has(k) || (sc.brokerFault && unacked.includes(k))).length, () => -1);
      if (done === all.length && pending.length === 0 && allDoneAt === null) allDoneAt = Date.now();
      const atMinimum = services.every((svc) => stack.ecs.liveTasks('local', svc).length === (sc.stack.services[svc].minWorkers ?? 0));
      if (allDoneAt !== null && atMinimum && inFlight.size === 0) {
        s.secondsToMinimum = Math.round((Date.now() - allDoneAt) / 1000);
        break;
      }
      const ctx: ScenarioContext = { tick, stack, lostToFault, log, published };
      await sc.beforeTick?.(ctx);
      for (let e = 0; e < (sc.executionsPerTick ?? 1); e += 1) launch(ctx);
      await sleep(sc.cycleSeconds * 1000 - (Date.now() - tickStart));
    }
    await Promise.allSettled([...inFlight]);
    const counts = await stack.completed();
    s.completed = all.filter((k) => (counts[k] ?? 0) >= 1).length;
    s.lostToFault = all.filter((k) => lostToFault.has(k) && !(counts[k] >= 1)).length;
    s.runTwice = all.filter((k) => (counts[k] ?? 0) > 1).length;
    const unacked = await stack.unackedText();
    const unfinished = all.filter((k) => !(counts[k] >= 1) && !lostToFault.has(k));
    s.waitingInUnacked = sc.brokerFault ? unfinished.filter((k) => unacked.includes(k)).length : 0;
    const lost = unfinished.filter((k) => !(sc.brokerFault && unacked.includes(k)));
    s.lost = lost.length;
    s.lostKeys = lost.slice(0, 5);
    s.lostInUnacked = lost.filter((k) => unacked.includes(k)).length;
    s.stoppedUndrained = services.flatMap((svc) => stack.ecs.taskList('local', svc))
      .filter((t) => (t.stoppedReason ?? '').startsWith('Scaling activity') && !drainedTasks.has(t.taskId))
      .map((t) => t.taskId);
    s.doubleActions = [...actedAt.values()].filter((svcs) => new Set(svcs).size < svcs.length).length;
  } finally {
    clearInterval(sampler);
    s.workerMinutes = Math.round((workerMs / 60_000) * 10) / 10;
    s.seconds = Math.round((Date.now() - started) / 1000);
    await stack.stop();
  }
  return s;
}

export function formatSummary(s: ScenarioSummary): string {
  return [
    '',
    'summary',
    `  tasks sent ${s.sent}, completed ${s.completed}, lost ${s.lost}, run twice ${s.runTwice}${s.lostToFault ? ` (${s.lostToFault} killed with their worker by the fault)` : ''}`,
    `  cycles ${s.cycles} (${s.failedCycles} failed), scale-ups ${s.scaleUps}, drained scale-downs ${s.drains} (${s.drainedWorkers} workers, ${s.drainsWithLongTasksRunning} while long tasks ran), drain timeouts ${s.drainTimeouts}`,
    `  tasks stopped by ECS without a drain ${s.stoppedUndrained.length}${s.recoveries ? `, leftovers of dead cycles repaired ${s.recoveries}` : ''}`,
    `  peak workers ${s.peakWorkers}, worker-minutes ${s.workerMinutes}`,
    `  back at the minimum fleet ${s.secondsToMinimum === null ? 'not reached in time' : `${s.secondsToMinimum} s after the last task finished`}`,
  ].join('\n');
}
