import { openBrokerClient } from '../lib/broker';
import type { RemoteControl } from '../lib/celery/control';
import { rabbitmqPermissions } from '../lib/amqp/permissions';
import type { CeleryWorker } from './celery/worker';
import { mulberry32 } from '../lib/simulate/trace';
import { faultKindsFor, faultSchedule, taskKeysIn, tasksInBroker, type FaultEnv, type FaultKind, type ScheduledFault, type Wrap } from './faults';
import { accountTasks, destroyedByFaults, redeliveredByFaults, InvariantChecker, type BrokerStop, type ServiceView, type Snapshot, type TaskAccount, type Violation } from './invariants';
import { LocalStack, type LocalStackOptions } from './local-stack';
import type { LocalCycleResult } from './run-cycle';

export interface SoakOptions {
  minutes: number;
  seed: number;
  log: (line: string) => void;
  /** The broker the stack runs on (default redis); it also chooses the broker faults. */
  broker?: SoakBroker;
  kinds?: FaultKind[];
}

export type SoakBroker = 'redis' | 'rabbitmq';

/** One wave of load: `count` tasks on a queue at a second of the run. */
interface Wave { at: number; queue: string; count: number; seconds: number[]; prefix: string }

export interface FaultOutcome {
  kind: string;
  injected: number;
  /** Injections that found something to act on (a worker to kill, a step reached). */
  landed: number;
  /** Tasks the fault itself destroyed (never completed). */
  destroyed: number;
  /** Tasks run again because the broker redelivered them after this fault broke their connection (RabbitMQ). */
  redelivered: number;
  details: string[];
  /** Invariants broken while this kind was the latest fault to land (for a streak, when the streak began). */
  violations: string[];
}

export interface SoakResult {
  seed: number;
  broker: SoakBroker;
  minutes: number;
  command: string;
  schedule: ScheduledFault[];
  faults: Record<string, FaultOutcome>;
  tasks: TaskAccount;
  executions: number;
  failedExecutions: number;
  scaleUps: number;
  drainedScaleDowns: number;
  drainTimeouts: number;
  recoveries: number;
  violations: Violation[];
  secondsToMinimum: number | null;
  seconds: number;
}

const CYCLE_SECONDS = 2;
/** Faults that break a worker's broker connection, so the broker delivers its unacknowledged messages again. */
const CONNECTION_BREAKING = new Set(['worker-sigkill', 'worker-sigstop-forever', 'rabbitmq-restart', 'rabbitmq-connections-closed', 'rabbitmq-queue-deleted']);
const LOCK_LEASE_SECONDS = 6;
/**
 * Seconds of a run kept after the load and the faults for the last tasks (15 s at most), a frozen
 * worker's health check (30 s) and the return to the minimum: `--minutes N` lasts about N minutes.
 */
const TAIL_SECONDS = 30;
/** After the load phase, the run ends at most this much later, whatever is still pending. */
const MAX_TAIL_SECONDS = 120;

/** How a run of `minutes` splits: load and faults, then the tail; the most it can last. */
export function soakPlan(minutes: number): { loadSeconds: number; expectedSeconds: number; maxSeconds: number } {
  const loadSeconds = Math.max(30, minutes * 60 - TAIL_SECONDS);
  return { loadSeconds, expectedSeconds: loadSeconds + TAIL_SECONDS, maxSeconds: loadSeconds + MAX_TAIL_SECONDS };
}

/** Seconds instead of minutes, so a soak of a few minutes sees many scale-ups, drains and faults. */
const svc = (queues: string[], o: Partial<LocalStackOptions['services'][string]> = {}): LocalStackOptions['services'][string] => ({
  queues, minWorkers: 1, maxWorkers: 5, tasksPerWorkerPerMinute: 120, targetMinutes: 0.2, startupSeconds: 2, stabilizationSeconds: 6,
  scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 2, idleMinutes: 0.1, drainTimeoutSeconds: 8, initialDesired: 1, ...o,
});

export const SOAK_STACK: LocalStackOptions = {
  services: { fast: svc(['default', 'emails']), reports: svc(['reports'], { minWorkers: 0, maxWorkers: 3, tasksPerWorkerPerMinute: 20, targetMinutes: 0.5, initialDesired: 0 }) },
  hardMaxWorkers: 10,
  startupDelayMs: 1000,
  // A worker stopped while busy loses its task: a wrong stop shows as loss.
  stopGraceMs: 2000,
  concurrency: 2,
  persistentRedis: true,
  separateResults: true,
  lockLeaseSeconds: LOCK_LEASE_SECONDS,
  controlTimeoutMs: 500,
};

/** The soak's stack on a broker: on RabbitMQ the autoscaler reaches it as a user with only the permissions it needs. */
export function soakStack(broker: SoakBroker): LocalStackOptions {
  if (broker === 'redis') return SOAK_STACK;
  return { ...SOAK_STACK, broker: 'rabbitmq', rabbitUser: { user: 'autoscaler', password: 'soak-rabbit-pw', permissions: rabbitmqPermissions() } };
}

/** The load of a seed: a wave every 6–16 s over the load phase, short tasks mostly, some long ones. */
export function loadSchedule(seed: number, loadSeconds: number, queues: string[]): Wave[] {
  const r = mulberry32(seed);
  const waves: Wave[] = [];
  for (let at = 0, n = 0; at < loadSeconds; at += 6 + r() * 10, n += 1) {
    const queue = queues[Math.floor(r() * queues.length)];
    const long = r() < 0.2;
    const count = long ? 1 + Math.floor(r() * 3) : 20 + Math.floor(r() * 130);
    const seconds = Array.from({ length: count }, () => Math.round((long ? 3 + r() * 12 : 0.05 + r() * 0.5) * 100) / 100);
    waves.push({ at: Math.round(at * 10) / 10, queue, count, seconds, prefix: `w${n}-${queue}-` });
  }
  return waves;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * The soak's own view of the broker and the fleet, read with an admin client apart from the
 * product's, and the drain records and locks from the state store the cycles use.
 * `wipedAt`: the last time a fault restarted Redis empty, or null.
 */
async function snapshot(stack: LocalStack, control: RemoteControl, cycle: number, seenStops: Set<string>, drained: Set<string>, ended: Map<string, number>, wipedAt: number | null): Promise<Snapshot> {
  const services: Record<string, ServiceView> = {};
  const running = await stack.results.hgetall('fixture:running');
  const records = await stack.drainRecords(Object.keys(stack.config.services));
  for (const [name, cfg] of Object.entries(stack.config.services)) {
    const live = stack.ecs.liveTasks('local', name);
    const nodes = live.filter((t) => t.lastStatus === 'RUNNING').map((t) => ({ node: `worker@${t.taskId}`, taskId: t.taskId }));
    const queues = await control.activeQueues({ destination: nodes.map((n) => n.node), timeoutMs: 500 });
    const record = records[name];
    const lock = await stack.lockLease(name);
    const stoppedByScaleIn = stack.ecs.taskList('local', name)
      .filter((t) => (t.stoppedReason ?? '').startsWith('Scaling activity') && !seenStops.has(t.taskId))
      .map((t) => {
        seenStops.add(t.taskId);
        return { taskId: t.taskId, runningKeys: Object.entries(running).filter(([, host]) => host === `worker@${t.taskId}`).map(([k]) => k) };
      });
    services[name] = {
      minWorkers: cfg.minWorkers, maxWorkers: cfg.maxWorkers, hardMaxWorkers: stack.config.hardMaxWorkers, queues: cfg.queues,
      desired: stack.ecs.desiredCount('local', name),
      workers: nodes.map((n) => ({ ...n, queues: n.node in queues.replies ? queues.replies[n.node].map((q) => q.name) : null })),
      drainRecord: record ? record.nodes.map((n) => n.node) : [],
      lock,
      // A protection set before a wipe of Redis lost its record with it: the product cannot know it
      // set it (it expires on its own, and a later drain unprotects it), so it is the fault's.
      protectedTasks: live.filter((t) => t.protectedUntil !== null && t.protectedUntil > Date.now() && !(wipedAt !== null && (t.protectedAt ?? 0) <= wipedAt)).map((t) => t.taskId),
      stoppedByScaleIn,
    };
  }
  return { at: Date.now(), cycle, services, drained, ended };
}

interface Output { actions?: string[]; recovered?: string[] }

/** Task keys whose message sits in kombu's `unacked` (taken by a worker, never acknowledged). None on RabbitMQ (LocalStack.unackedText). */
async function inUnacked(stack: LocalStack): Promise<Set<string>> {
  return taskKeysIn([await stack.unackedText()]);
}

/**
 * The pending keys the broker may still hold. Redis: exactly those in its lists and `unacked`.
 * RabbitMQ lists no message bodies: every pending key while a task queue has a message ready,
 * else those a live worker took last (prefetched, unacknowledged: back in the queue if it goes).
 */
async function mayWaitInBroker(stack: LocalStack, pending: string[], received: Record<string, string>, live: Set<string>): Promise<Set<string>> {
  if (!stack.rabbit) return new Set(await tasksInBroker(stack));
  const queues = Object.values(stack.config.services).flatMap((c) => c.queues);
  const ready = Object.values(await stack.queueDepths(queues)).reduce((a, n) => a + n, 0);
  return new Set(ready > 0 ? pending : pending.filter((k) => live.has(received[k])));
}

/** The fixture's records: the last worker to take each task and when, and the tasks started and not finished. */
async function fixtureRecords(stack: LocalStack): Promise<{ received: Record<string, string>; receivedAt: Record<string, string>; running: Record<string, string> }> {
  const [received, receivedAt, running] = await Promise.all(['received', 'received_at', 'running'].map((h) => stack.results.hgetall(`fixture:${h}`)));
  return { received, receivedAt, running };
}

/** A killed worker's prefetched message, or one held across a broker restart, waits in unacked for visibility_timeout (1 h). */
const unackedExcused = (outcomes: Record<string, FaultOutcome>): boolean =>
  ['worker-sigkill', 'worker-sigstop-forever', 'redis-restart', 'redis-wiped'].some((k) => (outcomes[k]?.landed ?? 0) > 0);

/**
 * The seeded fault soak: the local stack (real redis-server, real Celery workers, the
 * ECS emulator, the real state machine started every 2 s, overlapping as the schedule does)
 * under waves of load, with faults drawn from the seed. Invariants are checked every cycle and
 * at the end; the same seed replays the same schedule of load and faults.
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const broker = o.broker ?? 'redis';
  const kinds = o.kinds ?? faultKindsFor(broker);
  const plan = soakPlan(o.minutes);
  const { loadSeconds } = plan;
  const stack = await LocalStack.start(soakStack(broker));
  const services = Object.keys(stack.config.services);
  const queues = services.flatMap((s) => stack.config.services[s].queues);
  const waves = loadSchedule(o.seed, loadSeconds, queues);
  const schedule = faultSchedule(o.seed, loadSeconds, 6, kinds);
  const chosen = kinds.length === faultKindsFor(broker).length ? '' : ` --kinds ${kinds.map((k) => k.name).join(',')}`;
  const command = `npm run soak -- --minutes ${o.minutes} --seed ${o.seed}${broker === 'redis' ? '' : ` --broker ${broker}`}${chosen}`;
  o.log(`soak on ${broker}: seed ${o.seed}, ${o.minutes} min: load and faults for ${loadSeconds} s, then the last tasks and the return to the minimum; about ${plan.expectedSeconds} s, at most ${plan.maxSeconds} s; replay: ${command}`);
  o.log(`fault schedule: ${schedule.map((f) => `${f.at}s ${f.kind}`).join(', ')}`);

  const started = Date.now();
  const t = () => ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  // The soak's observer reaches the broker as its admin (guest on RabbitMQ), not as the autoscaler.
  const observer = openBrokerClient(stack.config.broker, stack.rabbit ? stack.rabbit.url() : stack.redis.url);
  const control = observer.control;
  const checker = new InvariantChecker({ lockLeaseMs: LOCK_LEASE_SECONDS * 1000, graceCycles: 2 });
  const lostToFault = new Map<string, string>();
  const killed = new Map<string, string>();
  const popped = new Map<string, string>();
  const destroyedUnlessStarted = new Map<string, string>();
  const queueOf = new Map<string, string>();
  const brokerStops: BrokerStop[] = [];
  const publishedAt = new Map<string, number>();
  const frozen = new Set<CeleryWorker>();
  const timers = new Set<NodeJS.Timeout>();
  const endings = new Set<Promise<void>>();
  const armed = new Set<Wrap>();
  const outcomes: Record<string, FaultOutcome> = Object.fromEntries(kinds.map((k) => [k.name, { kind: k.name, injected: 0, landed: 0, destroyed: 0, redelivered: 0, details: [], violations: [] }]));
  const drained = new Set<string>();
  const ended = new Map<string, number>();
  const seenStops = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const sent: string[] = [];
  const liveNodes = () => new Set([...stack.workers.values()].filter((w) => !w.exited).map((w) => w.node));
  let lastFaultActivity = 0;
  const landings: { at: number; kind: string }[] = [];
  // A streak-based violation is seen (grace + 1) cycles after what caused it: look back that far.
  const causeOf = (invariant: string): string | undefined => {
    const lookBack = ['workers keep their queues', 'no protection without its cycle'].includes(invariant) ? 3 * CYCLE_SECONDS * 1000 : 0;
    return [...landings].reverse().find((l) => l.at <= Date.now() - lookBack)?.kind;
  };
  let overlapNext = 0;
  const r = { executions: 0, failed: 0, scaleUps: 0, drains: 0, drainTimeouts: 0, recoveries: 0 };

  // Publishing and a broker fault's read-then-strike take turns (FaultEnv.withoutPublishing).
  let brokerTurn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = brokerTurn.then(fn, fn);
    brokerTurn = run.catch(() => undefined);
    return run;
  };
  const env: FaultEnv = {
    stack, lostToFault, killed, popped, destroyedUnlessStarted, queueOf, brokerStops, frozen, cycleSeconds: CYCLE_SECONDS, log: o.log, withoutPublishing: inTurn,
    later: (ms, fn) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        lastFaultActivity = Date.now();
        // Pending until done (a RabbitMQ node takes seconds to boot): the quiet phase waits for it, and the stack is stopped after it.
        const ending: Promise<void> = Promise.resolve()
          .then(fn)
          .catch((e) => o.log(`  fault ending failed: ${(e as Error).message}`))
          .finally(() => {
            endings.delete(ending);
            lastFaultActivity = Date.now();
          });
        endings.add(ending);
      }, ms);
      timers.add(timer);
    },
    overlap: (n) => { overlapNext += n; },
    arm: (wrap) => armed.add(wrap),
    landed: (kind, detail) => {
      outcomes[kind].landed += 1;
      landings.push({ at: Date.now(), kind });
      outcomes[kind].details.push(detail);
      o.log(`[${t()} s] fault ${kind} landed: ${detail}`);
    },
  };
  // Every armed wrap sees every handler; each decides itself whether it lands.
  const wrap: Wrap = (state, h) => [...armed].reduce((acc, w) => w(state, acc), h);

  const launch = (tick: number) => {
    const name = `soak-${o.seed}-${tick}-${r.executions}`;
    const startedAt = Date.now();
    r.executions += 1;
    const p = stack.cycle({}, {
      executionName: name,
      wrap,
      onState: (state, input) => {
        if (state === 'ScaleDown') for (const d of (input as { empty?: { taskId: string }[] }).empty ?? []) drained.add(d.taskId);
      },
    }).then((res: LocalCycleResult) => {
      ended.set(name, Date.now());
      if (quietSince !== null && startedAt >= quietSince) slowestQuietCycleMs = Math.max(slowestQuietCycleMs, Date.now() - startedAt);
      const out = (res.output ?? {}) as Output;
      if (res.status === 'FAILED') r.failed += 1;
      for (const a of out.actions ?? []) {
        if (/: scaled up/.test(a)) r.scaleUps += 1;
        if (/: scaled down/.test(a)) r.drains += 1;
        if (/drain timed out/.test(a)) r.drainTimeouts += 1;
      }
      r.recoveries += (out.recovered ?? []).length;
      const said = res.status === 'FAILED' ? `FAILED ${res.error}: ${res.cause}` : [...(out.recovered ?? []).map((x) => `repaired ${x}`), ...(out.actions ?? [])].join('; ');
      if (said) o.log(`[${t()} s] ${name}: ${said.slice(0, 300)}`);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const pendingWaves = [...waves];
  const pendingFaults = [...schedule];
  let quietSince: number | null = null;
  // Keys pending but found nowhere (no queue, no unacked, no live worker running them) at the previous check.
  let nowhereBefore = new Set<string>();
  let reachedMinimumAt: number | null = null;
  // After the load: the idle time before scaling to zero, the stabilization window, a drain (at most its timeout) and 3 cycles, a cycle
  // being the longer of the 2-s tick and the slowest execution that started after the load ended
  // (on a loaded machine one takes longer than a tick: that is the machine, not the product).
  let slowestQuietCycleMs = 0;
  // A stop the ecs-task-will-not-stop fault held past that moment is the fault's time, not the
  // product's: it is added (the fault arms the next stop, which may come after the load ended).
  // A service whose minimum is 0 keeps its last worker until it has been idle idleMinutes (the
  // planner's "idle for … → keep 1"), and the window then holds that 1: idleMinutes more.
  const downSeconds = (c: (typeof stack.config.services)[string]) => c.stabilizationSeconds + c.drainTimeoutSeconds + (c.minWorkers === 0 ? c.idleMinutes * 60 : 0);
  const allowedMs = () => Math.max(...services.map((s) => downSeconds(stack.config.services[s]))) * 1000
    + 3 * Math.max(CYCLE_SECONDS * 1000, slowestQuietCycleMs)
    + stack.ecs.heldStops.reduce((sum, h) => sum + (quietSince === null ? 0 : Math.max(0, h.at + h.ms - quietSince)), 0);
  try {
    for (let tick = 1; ; tick += 1) {
      const tickStart = Date.now();
      const elapsed = (tickStart - started) / 1000;
      for (const w of pendingWaves.filter((x) => x.at <= elapsed)) {
        const keys = Array.from({ length: w.count }, (_, i) => `${w.prefix}${i}`);
        try {
          const at = Date.now();
          await inTurn(() => stack.publishRecorded(w.queue, keys, (i) => w.seconds[i]));
          sent.push(...keys);
          for (const k of keys) {
            publishedAt.set(k, at);
            queueOf.set(k, w.queue);
          }
          pendingWaves.splice(pendingWaves.indexOf(w), 1);
        } catch {
          /* the broker is down (a fault): published at a later tick */
        }
      }
      for (const f of pendingFaults.filter((x) => x.at <= elapsed)) {
        pendingFaults.splice(pendingFaults.indexOf(f), 1);
        const kind = kinds.find((k) => k.name === f.kind) as FaultKind;
        const rec = outcomes[f.kind];
        rec.injected += 1;
        lastFaultActivity = Date.now();
        let did: string | null;
        try {
          did = await kind.inject(env, f.pick);
        } catch (e) {
          did = null;
          o.log(`[${t()} s] fault ${f.kind} could not be injected: ${(e as Error).message}`);
        }
        if (did && !kind.deferred) {
          rec.landed += 1;
          landings.push({ at: Date.now(), kind: f.kind });
          rec.details.push(did);
        }
        o.log(`[${t()} s] fault ${f.kind}: ${did ?? 'nothing to act on'}`);
      }
      // A wrap that landed stays armed harmlessly; drop wraps once load and faults are over.
      if (pendingFaults.length === 0 && elapsed > loadSeconds) armed.clear();
      for (let e = 0; e < 1 + overlapNext; e += 1) launch(tick);
      overlapNext = 0;

      try {
        const found = checker.check(await snapshot(stack, control, tick, seenStops, drained, ended, brokerStops.filter((b) => b.wiped).reduce<number | null>((m, b) => Math.max(m ?? 0, b.at), null)));
        for (const v of found) {
          o.log(`[${t()} s] VIOLATION ${v.invariant}: ${v.detail}`);
          const cause = causeOf(v.invariant);
          if (cause) outcomes[cause].violations.push(v.invariant);
        }
      } catch {
        /* the broker is down (a fault): this cycle is not observed */
      }

      const quiet = elapsed > loadSeconds && pendingWaves.length === 0 && pendingFaults.length === 0 && timers.size === 0 && endings.size === 0;
      if (quiet && quietSince === null) {
        quietSince = Math.max(Date.now(), lastFaultActivity);
        o.log(`[${t()} s] load and faults over: the fleet must be back at its minimum within ${Math.round(allowedMs() / 1000)} s of the last task (more if a cycle takes longer than ${CYCLE_SECONDS} s)`);
      }
      if (quietSince !== null) {
        const counts = await stack.completed().catch(() => ({} as Record<string, number>));
        const unacked = await inUnacked(stack).catch(() => new Set<string>());
        const waiting = unackedExcused(outcomes) ? unacked : new Set<string>();
        const records = await fixtureRecords(stack).catch(() => ({ received: {}, receivedAt: {}, running: {} }));
        const byFaults = destroyedByFaults({ sent, completions: counts, lostToFault, ...records, publishedAt, killed, popped, brokerStops, inUnacked: unacked });
        const gone = (k: string) => destroyedUnlessStarted.has(k) && !(k in records.running);
        const pending = sent.filter((k) => !((counts[k] ?? 0) >= 1 || lostToFault.has(k) || byFaults.has(k) || waiting.has(k) || gone(k)));
        // A pending task found nowhere twice in a row (2 s apart) will not complete: it is lost, and
        // waiting for it only stretches the run to its cap. Moving between places takes milliseconds.
        let nowhere = new Set<string>();
        if (pending.length > 0) {
          const live = liveNodes();
          const [queued, running] = await Promise.all([mayWaitInBroker(stack, pending, records.received, live).catch(() => null), stack.results.hgetall('fixture:running').catch(() => null)]);
          if (queued && running) {
            const where = new Set(queued);
            nowhere = new Set(pending.filter((k) => !where.has(k) && !(k in running && live.has(running[k]))));
          }
        }
        const settled = pending.every((k) => nowhere.has(k) && nowhereBefore.has(k));
        nowhereBefore = nowhere;
        const atMinimum = services.every((s) => stack.ecs.liveTasks('local', s).length === stack.config.services[s].minWorkers);
        // The clock starts when the last task has run (or the faults ended, if later).
        if (!settled) quietSince = Math.max(quietSince, Date.now());
        if (settled && atMinimum && reachedMinimumAt === null) reachedMinimumAt = Date.now();
        if (!atMinimum) reachedMinimumAt = null;
        if (settled && reachedMinimumAt !== null && inFlight.size === 0) break;
        if (Date.now() - quietSince > allowedMs()) break;
        if (elapsed > plan.maxSeconds) {
          o.log(`[${t()} s] the run reached its cap with ${pending.length} task(s) pending (${nowhere.size} found nowhere)${atMinimum ? '' : ', the fleet above its minimum'}`);
          break;
        }
      }
      await sleep(CYCLE_SECONDS * 1000 - (Date.now() - tickStart));
    }
    if (quietSince !== null) {
      for (const v of checker.checkReturnToMinimum({ cycle: -1, quietSince, reachedAt: reachedMinimumAt, allowedMs: allowedMs(), now: Date.now() })) o.log(`[${t()} s] VIOLATION ${v.invariant}: ${v.detail}`);
    }
    await Promise.allSettled([...inFlight]);
    const counts = await stack.completed();
    const unacked = await inUnacked(stack);
    const records = await fixtureRecords(stack);
    const { received } = records;
    for (const [k, fault] of destroyedByFaults({ sent, completions: counts, lostToFault, ...records, publishedAt, killed, popped, brokerStops, inUnacked: unacked })) lostToFault.set(k, fault);
    for (const [k, fault] of destroyedUnlessStarted) if (!(counts[k] >= 1) && !(k in records.running) && !lostToFault.has(k)) lostToFault.set(k, fault);
    // On RabbitMQ a task run again from a message the broker redelivered after a fault broke its connection is the fault's.
    const redeliveredRuns = await stack.results.hgetall('fixture:redelivered');
    const redelivered = broker === 'rabbitmq'
      ? redeliveredByFaults({ completions: counts, redelivered: redeliveredRuns, receivedAt: records.receivedAt, landings, breaking: CONNECTION_BREAKING })
      : new Map<string, string>();
    const tasks = accountTasks(sent, counts, lostToFault, unacked, unackedExcused(outcomes), redelivered);
    for (const [fault, keys] of Object.entries(tasks.lostToFault)) outcomes[fault].destroyed = keys.length;
    for (const [fault, keys] of Object.entries(tasks.runTwiceByFault)) outcomes[fault].redelivered = keys.length;
    const account: Violation[] = [];
    if (tasks.lost.length > 0) {
      // Where a lost task is says why: still in a queue means no worker consumed it.
      const live = liveNodes();
      const queued = await mayWaitInBroker(stack, tasks.lost, received, live);
      const stillQueued = tasks.lost.filter((k) => queued.has(k)).length;
      const running = await stack.results.hgetall('fixture:running');
      const started = tasks.lost.filter((k) => k in running).map((k) => `${k} on ${running[k]}`);
      const takenBy = tasks.lost.filter((k) => k in received).map((k) => `${k} by ${received[k]}${killed.has(received[k]) ? ` (killed by ${killed.get(received[k])})` : ''}`);
      account.push({ cycle: -1, invariant: 'no task lost', detail: `${tasks.lost.length} task(s) never completed: ${tasks.lost.slice(0, 8).join(', ')} (${stillQueued} still in the broker, no worker consumed them; ${started.length ? `started and never finished: ${started.join(', ')}; ` : ''}${takenBy.length ? `last taken: ${takenBy.slice(0, 8).join(', ')}; ` : ''}${tasks.lost.length - stillQueued - started.length} gone without starting)` });
    }
    if (tasks.runTwice.length > 0) {
      account.push({ cycle: -1, invariant: 'no task run twice', detail: `${tasks.runTwice.length} task(s) run twice: ${tasks.runTwice.slice(0, 8).map((k) => `${k} (${counts[k]} runs, ${redeliveredRuns[k] ?? 0} redelivered, last taken by ${received[k] ?? '?'})`).join(', ')}` });
    }
    for (const v of account) o.log(`VIOLATION ${v.invariant}: ${v.detail}`);
    return {
      seed: o.seed, broker, minutes: o.minutes, command, schedule, faults: outcomes, tasks,
      executions: r.executions, failedExecutions: r.failed, scaleUps: r.scaleUps, drainedScaleDowns: r.drains, drainTimeouts: r.drainTimeouts, recoveries: r.recoveries,
      violations: [...checker.violations, ...account],
      secondsToMinimum: reachedMinimumAt !== null && quietSince !== null ? Math.max(0, Math.round((reachedMinimumAt - quietSince) / 1000)) : null,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await Promise.allSettled([...endings]);
    for (const w of frozen) w.signal('SIGCONT');
    observer.close();
    await stack.stop();
  }
}

export function formatSoak(s: SoakResult): string {
  const lost = Object.entries(s.tasks.lostToFault).map(([f, k]) => `${k.length} by ${f}`).join(', ');
  const again = Object.entries(s.tasks.runTwiceByFault).map(([f, k]) => `${k.length} after ${f}`).join(', ');
  return [
    '',
    `soak summary (seed ${s.seed}, ${s.minutes} min: ran ${s.seconds} s, planned about ${soakPlan(s.minutes).expectedSeconds} s)`,
    '  faults by kind:',
    ...Object.values(s.faults).map((f) => `    ${f.kind.padEnd(28)} injected ${f.injected}, landed ${f.landed}, tasks destroyed ${f.destroyed}${f.redelivered ? `, run again from a redelivery ${f.redelivered}` : ''}, violations after it ${f.violations.length}`),
    `  tasks sent ${s.tasks.sent}, completed ${s.tasks.completed}, lost ${s.tasks.lost.length}, run twice ${s.tasks.runTwice.length}` +
      `${lost ? `; destroyed by the fault itself: ${lost}` : ''}${again ? `; run again from a message the broker redelivered: ${again}` : ''}${s.tasks.waitingInUnacked.length ? `; waiting in kombu's unacked for redelivery: ${s.tasks.waitingInUnacked.length}` : ''}`,
    `  executions ${s.executions} (${s.failedExecutions} failed), scale-ups ${s.scaleUps}, drained scale-downs ${s.drainedScaleDowns}, drain timeouts ${s.drainTimeouts}, dead cycles repaired ${s.recoveries}`,
    `  back at the minimum fleet: ${s.secondsToMinimum === null ? 'not reached' : `${s.secondsToMinimum} s after the load and faults ended`}`,
    `  invariant violations: ${s.violations.length}`,
    ...s.violations.map((v) => `    ${v.cycle >= 0 ? `cycle ${v.cycle}: ` : 'at the end: '}${v.invariant}: ${v.detail}`),
  ].join('\n');
}
