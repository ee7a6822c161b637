import { LocalStack } from './local-stack';

export interface DemoOptions {
  shortTasks: number;
  longTasks: number;
  /** Seconds between cycles (the EventBridge schedule, sped up). */
  cycleSeconds: number;
  /** Give up after this long. */
  maxSeconds: number;
  log: (line: string) => void;
  /** Fault injection: runs before each cycle (1-based). */
  beforeCycle?: (cycle: number, stack: LocalStack) => Promise<void> | void;
  /** Start two executions at every tick instead of one (one must hold the other off). */
  overlapping?: boolean;
  persistentRedis?: boolean;
}

export interface DemoSummary {
  sent: number;
  completed: number;
  lost: number;
  runTwice: number;
  cycles: number;
  failedCycles: number;
  scaleUps: number;
  drains: number;
  peakWorkers: number;
  workerMinutes: number;
  secondsToMinimum: number | null;
}

const SERVICES = {
  fast: {
    queues: ['default', 'emails'], minWorkers: 1, maxWorkers: 6, tasksPerWorkerPerMinute: 120, targetMinutes: 0.75,
    startupSeconds: 3, stabilizationSeconds: 9, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 3, idleMinutes: 0.1, drainTimeoutSeconds: 60, initialDesired: 1,
  },
  reports: {
    queues: ['reports'], minWorkers: 0, maxWorkers: 3, tasksPerWorkerPerMinute: 10, targetMinutes: 1,
    startupSeconds: 3, stabilizationSeconds: 9, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 3, idleMinutes: 0.1, drainTimeoutSeconds: 60, initialDesired: 0,
  },
};

const bar = (done: number, total: number, width = 20): string => {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor((100 * done) / Math.max(1, total))).padStart(3)}%`;
};

/**
 * The product end to end on one machine: floods two services' queues, runs the real state
 * machine every few seconds, prints a line per cycle, and counts every task's completions.
 */
export async function runDemo(o: DemoOptions, onStack?: (s: LocalStack) => void): Promise<DemoSummary> {
  const stack = await LocalStack.start({ services: SERVICES, startupDelayMs: 1000, stopGraceMs: 30_000, concurrency: 2, persistentRedis: o.persistentRedis });
  onStack?.(stack);
  const started = Date.now();
  let workerMs = 0;
  let peak = 0;
  let last = Date.now();
  const sampler = setInterval(() => {
    const now = Date.now();
    const live = Object.keys(SERVICES).reduce((a, s) => a + stack.ecs.liveTasks('local', s).length, 0);
    workerMs += live * (now - last);
    last = now;
    peak = Math.max(peak, live);
  }, 250);
  const summary: DemoSummary = { sent: 0, completed: 0, lost: 0, runTwice: 0, cycles: 0, failedCycles: 0, scaleUps: 0, drains: 0, peakWorkers: 0, workerMinutes: 0, secondsToMinimum: null };
  try {
    const short = Array.from({ length: o.shortTasks }, (_, i) => `short-${i}`);
    const long = Array.from({ length: o.longTasks }, (_, i) => `long-${i}`);
    await stack.publish('default', short.slice(0, Math.ceil(short.length / 2)).map((k, i) => ({ task: 'tasks.record', args: [k, 0.1 + (i % 5) * 0.05] })));
    await stack.publish('emails', short.slice(Math.ceil(short.length / 2)).map((k, i) => ({ task: 'tasks.record', args: [k, 0.1 + (i % 3) * 0.1] })));
    await stack.publish('reports', long.map((k, i) => ({ task: 'tasks.record', args: [k, 5 + (i % 4) * 3] })));
    summary.sent = short.length + long.length;
    o.log(`sent ${short.length} short tasks to default+emails and ${long.length} long ones to reports; a cycle every ${o.cycleSeconds} s`);
    let allDoneAt: number | null = null;
    while ((Date.now() - started) / 1000 < o.maxSeconds) {
      const cycleStart = Date.now();
      await o.beforeCycle?.(summary.cycles + 1, stack);
      const runs = await Promise.all(o.overlapping ? [stack.cycle(), stack.cycle()] : [stack.cycle()]);
      const r = runs.find((x) => x.status === 'FAILED') ?? runs.find((x) => ((x.output as { actions?: string[] })?.actions ?? []).some((a) => !a.includes('held'))) ?? runs[0];
      summary.cycles += 1;
      const out = (r.output ?? {}) as { actions?: string[]; holds?: { service: string; reason: string }[] | string[] };
      if (r.status === 'FAILED') summary.failedCycles += 1;
      for (const a of out.actions ?? []) {
        if (/scaled up/.test(a)) summary.scaleUps += 1;
        if (/scaled down/.test(a)) summary.drains += 1;
      }
      let done = 0;
      let depth = [NaN, NaN, NaN];
      try {
        done = Object.keys(await stack.completed()).length;
        depth = await Promise.all(['default', 'emails', 'reports'].map((q) => stack.client.llen(q)));
      } catch {
        /* the broker is down in a fault scenario: the line shows it, the loop goes on */
      }
      const fleet = Object.keys(SERVICES).map((s) => `${s} ${stack.ecs.desiredCount('local', s)}/${stack.ecs.liveTasks('local', s).filter((t) => t.lastStatus === 'RUNNING').length}`).join(' ');
      const decision = r.status === 'FAILED' ? `FAILED ${r.error}: ${r.cause}` : (out.actions ?? []).join('; ') || 'no change';
      o.log(`#${String(summary.cycles).padStart(3)} ${new Date().toISOString().slice(11, 19)}  pending default ${depth[0]} emails ${depth[1]} reports ${depth[2]} | workers desired/running: ${fleet} | ${bar(done, summary.sent)} | ${decision}`);
      const atMinimum = stack.ecs.liveTasks('local', 'fast').length === SERVICES.fast.minWorkers && stack.ecs.liveTasks('local', 'reports').length === SERVICES.reports.minWorkers;
      if (done === summary.sent && allDoneAt === null) allDoneAt = Date.now();
      if (allDoneAt !== null && atMinimum) {
        summary.secondsToMinimum = Math.round((Date.now() - allDoneAt) / 1000);
        break;
      }
      await new Promise((res) => setTimeout(res, Math.max(0, o.cycleSeconds * 1000 - (Date.now() - cycleStart))));
    }
    const counts = await stack.completed();
    const all = [...Array.from({ length: o.shortTasks }, (_, i) => `short-${i}`), ...Array.from({ length: o.longTasks }, (_, i) => `long-${i}`)];
    summary.completed = all.filter((k) => (counts[k] ?? 0) >= 1).length;
    summary.lost = all.length - summary.completed;
    summary.runTwice = all.filter((k) => (counts[k] ?? 0) > 1).length;
  } finally {
    clearInterval(sampler);
    summary.peakWorkers = peak;
    summary.workerMinutes = Math.round((workerMs / 60_000) * 10) / 10;
    await stack.stop();
  }
  return summary;
}

export function formatSummary(s: DemoSummary): string {
  return [
    '',
    'summary',
    `  tasks sent ${s.sent}, completed ${s.completed}, lost ${s.lost}, run twice ${s.runTwice}`,
    `  cycles ${s.cycles} (${s.failedCycles} failed), scale-ups ${s.scaleUps}, drained scale-downs ${s.drains}`,
    `  peak workers ${s.peakWorkers}, worker-minutes ${s.workerMinutes}`,
    `  back at the minimum fleet ${s.secondsToMinimum === null ? 'not reached in time' : `${s.secondsToMinimum} s after the last task finished`}`,
  ].join('\n');
}
