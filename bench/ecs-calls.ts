import type { NodeSnapshot } from '../lib/celery/inspect';
import { configSchema } from '../lib/config';
import { checkDrain } from '../lib/cycle/check-drain';
import { drainWorkers } from '../lib/cycle/drain-workers';
import type { CooldownOutput, Drain } from '../lib/cycle/payloads';
import { runAsync, type Env, type Held } from '../lib/cycle/ports';
import { releaseProtection } from '../lib/cycle/release-protection';
import { scaleDown } from '../lib/cycle/scale-down';
import { createEcsClient, ecsConcurrency, EcsService } from '../lib/ecs';
import { MemoryStore } from '../lib/simulate/memory-store';
import { EcsEmulator, type ActionCount } from '../local/ecs-emulator';

/**
 * ECS calls of one drained scale-down, counted by the ECS emulator behind the real
 * @aws-sdk/client-ecs: the deployed steps (DrainWorkers → CheckDrain polls → ScaleDown per
 * emptied node → ReleaseProtection) on a service of N tasks, draining 10 workers that empty one
 * at a time. Celery is faked (every node answers; one stays silent for one poll); the lease and
 * history are the in-memory store with Redis's TTLs.
 */

export const ACTIONS = ['DescribeServices', 'ListTasks', 'DescribeTasks', 'UpdateTaskProtection', 'UpdateService'] as const;
export const PHASES = ['DrainWorkers', 'CheckDrain', 'first ScaleDown', 'later ScaleDowns', 'ReleaseProtection'] as const;
export type Phase = (typeof PHASES)[number];
export type Counts = Record<string, ActionCount>;

export interface EcsCallsRun {
  tasks: number;
  drained: number;
  polls: number;
  byPhase: Record<Phase, Counts>;
  total: Counts;
  /** Each later ScaleDown's calls (all actions). */
  laterEach: number[];
  /** ECS stopped exactly the drained tasks, and no live task is protected at the end. */
  stoppedExactly: boolean;
  protectedAtEnd: number;
}

const SERVICE = 'svc';
const CLUSTER = 'c';
const sum = (c: Counts): number => Object.values(c).reduce((a, x) => a + x.calls, 0);

/** One drain of `drained` workers out of `n` tasks, nodes emptying one by one. */
export async function measureEcsCalls(n: number, drained = 10): Promise<EcsCallsRun> {
  const emu = await EcsEmulator.start();
  try {
    emu.addService({ cluster: CLUSTER, service: SERVICE, desiredCount: n, stopGraceMs: 0 });
    await emu.settle();
    emu.ageEvents(CLUSTER, SERVICE, 3_600_000); // the fleet has been up an hour, as a drained one has
    const config = configSchema.parse({
      broker: { url: 'redis://localhost:6379' }, hardMaxWorkers: Math.max(n, 1),
      services: { [SERVICE]: { cluster: CLUSTER, service: SERVICE, queues: ['q'], maxWorkers: n, tasksPerWorkerPerMinute: 60, targetMinutes: 5, drainTimeoutSeconds: 600 } },
    });
    const ecs = new EcsService(createEcsClient({ endpoint: emu.endpoint, region: 'us-east-1' }), CLUSTER, SERVICE, ecsConcurrency(1));
    const store = new MemoryStore(() => Date.now());
    const busy = new Set<string>();
    const silent = new Set<string>();
    const nodeOf = (taskId: string) => `celery@${taskId}`;
    const env: Env = {
      config,
      now: () => Date.now(),
      workers: {
        inspect: () => ({
          nodes: emu.liveTasks(CLUSTER, SERVICE).map((t): NodeSnapshot => ({
            node: nodeOf(t.taskId), active: 0, reserved: 0, scheduled: 0, processed: 0, queues: ['q'], longestActiveSeconds: 0, concurrency: 1, activeByTask: {}, taskQueues: {},
          })),
          missing: [],
          unanswered: 0,
        }),
        held: (nodes) => Object.fromEntries(nodes.map((x): [string, Held | null] => [x, silent.has(x) ? null : { active: busy.has(x) ? 1 : 0, reserved: 0, scheduled: 0 }])),
        cancel: (_q, nodes) => ({ confirmed: nodes, unconfirmed: [] }),
        add: (_q, nodes) => ({ confirmed: nodes, unconfirmed: [] }),
        pending: (queues) => Object.fromEntries(queues.map((q) => [q, 0])),
      },
      ecs: {
        describe: async () => {
          const { desired, running, pending, deploymentInProgress, lastStartedAt } = await ecs.describe();
          return { desired, running, pending, deploymentInProgress, lastStartedAt };
        },
        tasks: () => ecs.tasks(),
        taskArns: () => ecs.taskArns(),
        describeTasks: (_s, arns) => ecs.describeTasks(arns),
        protect: (_s, arns, minutes) => ecs.protect(arns, minutes),
        unprotect: (_s, arns) => ecs.unprotect(arns),
        setDesired: (_s, d) => ecs.setDesiredCount(d),
      },
      lease: store,
      history: store,
    };
    const execution = 'bench-ecs-calls';
    store.acquireLock(SERVICE, execution, 180_000);
    const at = Date.now();
    const change: CooldownOutput = {
      service: SERVICE, from: n, to: n - drained, direction: 'down', reason: 'idle', allowed: true, skipCooldown: false, branches: 1,
      cycle: { execution, at, dryRun: false, skipCooldown: false },
    };
    const byPhase = Object.fromEntries(PHASES.map((p) => [p, {}])) as Record<Phase, Counts>;
    const add = (phase: Phase, c: Counts) => {
      for (const [op, x] of Object.entries(c)) {
        const a = (byPhase[phase][op] ??= { calls: 0, items: 0, largest: 0 });
        a.calls += x.calls;
        a.items += x.items;
        a.largest = Math.max(a.largest, x.largest);
      }
    };
    const step = async <T>(phase: Phase, run: () => Promise<T>): Promise<[T, number]> => {
      const from = emu.calls.length;
      const out = await run();
      const c = emu.countsByAction(from);
      add(phase, c);
      return [out, sum(c)];
    };

    const [started] = await step('DrainWorkers', () => runAsync(drainWorkers(env, change)));
    if (started.status === 'nothing') throw new Error(`no drain: ${started.result}`);
    let d: Drain = started;
    const drainedIds = d.draining.map((x) => x.taskId);
    for (const x of d.draining) busy.add(x.node);
    silent.add(d.draining[d.draining.length - 1].node); // silent for the first poll
    const laterEach: number[] = [];
    let polls = 0;
    for (const [i, node] of d.draining.map((x) => x.node).entries()) {
      // A poll where nobody has emptied, then one where this node has.
      [d] = await step('CheckDrain', () => runAsync(checkDrain(env, d)));
      silent.clear();
      busy.delete(node);
      [d] = await step('CheckDrain', () => runAsync(checkDrain(env, d)));
      polls += 2;
      if (d.status !== 'release') throw new Error(`poll ${polls}: ${d.status} (${d.result})`);
      const [out, calls] = await step(i === 0 ? 'first ScaleDown' : 'later ScaleDowns', () => runAsync(scaleDown(env, d)));
      d = out;
      if (i > 0) laterEach.push(calls);
    }
    await emu.settle();
    [d] = await step('ReleaseProtection', () => runAsync(releaseProtection(env, d)));
    if (d.status !== 'done') throw new Error(`ReleaseProtection: ${d.status} (${d.result})`);

    const all = emu.taskList(CLUSTER, SERVICE);
    const stopped = all.filter((t) => t.desiredStatus === 'STOPPED').map((t) => t.taskId).sort();
    const live = all.filter((t) => t.desiredStatus === 'RUNNING');
    const total: Counts = {};
    for (const p of PHASES) {
      for (const [op, x] of Object.entries(byPhase[p])) {
        const a = (total[op] ??= { calls: 0, items: 0, largest: 0 });
        a.calls += x.calls;
        a.items += x.items;
        a.largest = Math.max(a.largest, x.largest);
      }
    }
    return {
      tasks: n, drained, polls, byPhase, total, laterEach,
      stoppedExactly: JSON.stringify(stopped) === JSON.stringify([...drainedIds].sort()) && live.length === n - drained,
      protectedAtEnd: live.filter((t) => t.protectedUntil !== null && t.protectedUntil > Date.now()).length,
    };
  } finally {
    await emu.close();
  }
}

const calls = (c: Counts, op: string): number => c[op]?.calls ?? 0;
const cell = (c: Counts, op: string): string => (op === 'UpdateTaskProtection' || op === 'DescribeTasks') && calls(c, op) > 0
  ? `${calls(c, op)} (${c[op].items} tasks, ≤ ${c[op].largest} a call)` : String(calls(c, op));

/** The least any exact removal can make: protect all but the emptied task, unprotect it, lower desired, per release; clear at the end. */
export const floorCalls = (n: number, k: number): number => Math.ceil((n - 1) / 10) + (k - 1) + k + Math.ceil((n - k) / 10);

export const SIZES = [10, 100, 1000];

/** The bench section: calls per action at 10, 100 and 1,000 tasks. */
export async function ecsCallsBench(sizes = SIZES): Promise<string> {
  const runs: EcsCallsRun[] = [];
  for (const n of sizes) runs.push(await measureEcsCalls(n));
  return renderEcsCalls(runs);
}

export function renderEcsCalls(runs: EcsCallsRun[]): string {
  const head = `| tasks | ${ACTIONS.join(' | ')} | total | beyond DrainWorkers' listing | lower bound (writes) | ECS stopped exactly the 10 drained |`;
  const rows = runs.map((r) => {
    const pass = calls(r.byPhase.DrainWorkers, 'ListTasks') + calls(r.byPhase.DrainWorkers, 'DescribeTasks');
    return `| ${r.tasks.toLocaleString('en-US')} | ${ACTIONS.map((a) => cell(r.total, a)).join(' | ')} | ${sum(r.total)} | ${sum(r.total) - pass} | ${floorCalls(r.tasks, r.drained)} | ${r.stoppedExactly && r.protectedAtEnd === 0 ? 'yes' : '**no**'} |`;
  });
  const big = runs[runs.length - 1];
  const phaseRows = PHASES.map((p) => `| ${p}${p === 'CheckDrain' ? ` (${big.polls} polls)` : p === 'later ScaleDowns' ? ` (${big.laterEach.length}, ${[...new Set(big.laterEach)].join('/')} calls each)` : ''} | ${ACTIONS.map((a) => calls(big.byPhase[p], a)).join(' | ')} | ${sum(big.byPhase[p])} |`);
  return [
    '## ECS calls per drain',
    '',
    'One drained scale-down of 10 workers that empty one at a time, on a service of N tasks: the deployed steps (DrainWorkers, then two CheckDrain polls per node, the first with one node silent, a ScaleDown as each node empties, ReleaseProtection) against the ECS emulator through the real `@aws-sdk/client-ecs`, counted per action by the emulator (`bench/ecs-calls.ts`; `test/unit/ecs-scale.test.ts` asserts the same counts). *Lower bound*: ⌈(N − 1)/10⌉ UpdateTaskProtection to protect every other task at the first release, one to unprotect each emptied task that was protected while it drained, one UpdateService per release, ⌈(N − 10)/10⌉ to clear the protection at the end (docs/runbook.md, *ECS calls and rate limits*).',
    '',
    head,
    `|---:|${ACTIONS.map(() => '---:').join('|')}|---:|---:|---:|---|`,
    ...rows,
    '',
    `By step, at ${big.tasks.toLocaleString('en-US')} tasks:`,
    '',
    `| step | ${ACTIONS.join(' | ')} | total |`,
    `|---|${ACTIONS.map(() => '---:').join('|')}|---:|`,
    ...phaseRows,
    '',
  ].join('\n');
}
