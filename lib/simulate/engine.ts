import type { EcsTask } from '../ecs';
import type { Observation, ServiceObservation } from '../observation';
import { EventHeap } from './heap';
import type { Cloud, Sample, SimService, Worker, WorldOptions } from './model';
import type { Trace } from './trace';

export type { Cloud, Sample, SimService, Worker, WorkerModel, WorldOptions } from './model';

type Event =
  | { t: number; seq: number; kind: 'ready' | 'kill'; worker: Worker }
  | { t: number; seq: number; kind: 'finish'; worker: Worker; task: number; run: number }
  | { t: number; seq: number; kind: 'redeliver'; task: number }
  | { t: number; seq: number; kind: 'call'; fn: () => void };

interface ServiceState {
  spec: SimService;
  queues: number[];
  desired: number;
  scaleActions: number;
  /** [seconds, +1 up / −1 down] per change of the desired count, for counting reversals. */
  moves: [number, number][];
  live: Worker[];
}

/**
 * (One file on purpose: every handler below reads and writes the same queues, workers and events.)
 *
 * The discrete-event world: tasks arrive on Redis lists (FIFO per queue), ECS tasks start after
 * their start-up delay and consume every queue of their service, holding at most `concurrency`
 * active and `concurrency × prefetch` reserved messages. Times are seconds from the trace's start.
 */
export class World implements Cloud {
  now = 0;
  readonly workers: Worker[] = [];
  readonly samples: Sample[] = [];
  /** Per task: last start, finish, how often it was SIGKILLed. */
  readonly startAt: Float64Array;
  readonly finishAt: Float64Array;
  readonly interrupted: Uint16Array;
  readonly taskService: Uint16Array;
  completed = 0;
  lastFinish = 0;
  /** Per service: when its last task finished, and how many it completed. */
  readonly lastFinishBy: number[];
  readonly completedBy: number[];
  end = 0;
  private readonly run: Uint32Array;
  private readonly takenAt: Float64Array;
  private readonly taskQueue: Uint16Array;
  private readonly queueNames: string[] = [];
  private readonly lists: number[][] = [];
  private readonly heads: number[] = [];
  private readonly services: ServiceState[];
  private readonly byName = new Map<string, ServiceState>();
  private readonly byNode = new Map<string, Worker>();
  private readonly events = new EventHeap<Event>();
  private nextArrival = 0;

  constructor(readonly trace: Trace, readonly opts: WorldOptions) {
    const n = trace.tasks.length;
    this.startAt = new Float64Array(n).fill(NaN);
    this.finishAt = new Float64Array(n).fill(NaN);
    this.interrupted = new Uint16Array(n);
    this.taskService = new Uint16Array(n);
    this.run = new Uint32Array(n);
    this.takenAt = new Float64Array(n);
    this.taskQueue = new Uint16Array(n);
    this.services = opts.services.map((spec) => ({ spec, queues: [], desired: 0, scaleActions: 0, moves: [], live: [] }));
    this.lastFinishBy = opts.services.map(() => 0);
    this.completedBy = opts.services.map(() => 0);
    const queueService: number[] = [];
    this.services.forEach((s, i) => {
      this.byName.set(s.spec.name, s);
      for (const q of s.spec.config.queues) {
        s.queues.push(this.queueNames.length);
        this.queueNames.push(q);
        this.lists.push([]);
        this.heads.push(0);
        queueService.push(i);
      }
    });
    const queueIndex = new Map(this.queueNames.map((q, i) => [q, i]));
    trace.tasks.forEach((t, i) => {
      const q = queueIndex.get(t.queue);
      if (q === undefined) throw new Error(`queue "${t.queue}" is consumed by no simulated service`);
      this.taskQueue[i] = q;
      this.taskService[i] = queueService[q];
    });
    for (const s of this.services) {
      const n0 = opts.initialWorkers[s.spec.name] ?? 0;
      s.desired = n0;
      for (let i = 0; i < n0; i += 1) this.launch(s, 0);
    }
  }

  get nowMs(): number {
    return this.opts.epochMs + this.now * 1000;
  }

  service(name: string): SimService {
    return this.state(name).spec;
  }

  scaleActions(service: string): number {
    return this.state(service).scaleActions;
  }

  /**
   * Scale-ups followed by a scale-down, or the reverse, within `withinSeconds`: a fleet that
   * changed its mind before what it started (or drained) had time to matter.
   */
  reversals(service: string, withinSeconds: number): number {
    const moves = this.state(service).moves;
    let n = 0;
    for (let i = 1; i < moves.length; i += 1) if (moves[i][1] !== moves[i - 1][1] && moves[i][0] - moves[i - 1][0] <= withinSeconds) n += 1;
    return n;
  }

  /** Runs until every task has completed and the horizon has passed (or the overrun limit). */
  runToEnd(): void {
    const tasks = this.trace.tasks;
    const limit = this.trace.horizonSeconds + this.opts.overrunSeconds;
    this.every(this.opts.sampleSeconds, () => this.sample());
    for (;;) {
      const top = this.events.peek();
      const arrival = this.nextArrival < tasks.length ? tasks[this.nextArrival].arrival : Infinity;
      const t = Math.min(arrival, top?.t ?? Infinity);
      const doneBy = this.completed === tasks.length ? Math.max(this.trace.horizonSeconds, this.lastFinish) : Infinity;
      if (t > doneBy || t > limit) {
        this.end = Math.min(doneBy, limit);
        return;
      }
      this.now = t;
      if (arrival <= (top?.t ?? Infinity)) this.enqueue(this.nextArrival++, false);
      else this.handle(this.events.pop() as Event);
    }
  }

  // ---- Cloud: what policies see and do ----

  observe(): Observation {
    const services: Record<string, ServiceObservation> = {};
    for (const s of this.services) {
      const running = s.live.filter((w) => w.status === 'RUNNING');
      services[s.spec.name] = {
        queues: Object.fromEntries(s.queues.map((q) => [this.queueNames[q], this.pending(q)])),
        nodes: running.map((w) => ({
          node: w.node, taskId: w.taskId, active: w.active.length, reserved: w.reserved.length, scheduled: 0, processed: w.processed,
          longestActiveSeconds: w.active.reduce((a, t) => Math.max(a, Math.round(this.now - this.startAt[t])), 0),
          concurrency: s.spec.worker.concurrency,
          ...this.activeTasks(w),
        })),
        missingNodes: [],
        ecs: { desired: s.desired, running: running.length, pending: s.live.filter((w) => w.status === 'PENDING').length, deploymentInProgress: false },
        errors: [],
      };
    }
    return { at: this.nowMs, services };
  }

  ecsTasks(service: string): EcsTask[] {
    return this.state(service).live.map((w) => ({
      taskId: w.taskId, taskArn: `arn:aws:ecs:sim:0:task/sim/${w.taskId}`, lastStatus: w.status,
      desiredStatus: w.stopping ? 'STOPPED' : 'RUNNING', privateIp: null,
      startedAt: w.status === 'PENDING' ? null : this.opts.epochMs + w.readyAt * 1000,
    }));
  }

  desired(service: string): number {
    return this.state(service).desired;
  }

  /** UpdateService desiredCount: ECS starts tasks, or stops unprotected ones (not-yet-running, then oldest). */
  setDesired(service: string, n: number): void {
    const s = this.state(service);
    if (n !== s.desired) {
      s.scaleActions += 1;
      s.moves.push([this.now, n > s.desired ? 1 : -1]);
    }
    s.desired = n;
    this.reconcile(s);
  }

  protect(service: string, taskIds: string[], on: boolean): void {
    const s = this.state(service);
    const ids = new Set(taskIds);
    for (const w of s.live) if (ids.has(w.taskId)) w.protected = on;
    this.reconcile(s);
  }

  cancelConsumer(nodes: string[]): void {
    for (const n of nodes) {
      const w = this.byNode.get(n);
      if (w && !w.stopping) w.consuming = false;
    }
  }

  addConsumer(nodes: string[]): void {
    for (const n of nodes) {
      const w = this.byNode.get(n);
      if (w && !w.stopping && w.status === 'RUNNING') {
        w.consuming = true;
        this.dispatch(this.services[w.service]);
      }
    }
  }

  inspect(node: string): { active: number; reserved: number; scheduled: number } | null {
    const w = this.byNode.get(node);
    if (!w || w.status !== 'RUNNING') return null;
    return { active: w.active.length, reserved: w.reserved.length, scheduled: 0 };
  }

  every(seconds: number, fn: () => void): void {
    const tick = () => {
      fn();
      this.after(seconds, tick);
    };
    this.events.push({ t: this.now, kind: 'call', fn: tick });
  }

  after(seconds: number, fn: () => void): void {
    this.events.push({ t: this.now + seconds, kind: 'call', fn });
  }

  // ---- the model ----

  /** What `active` and `stats` tell per task name: a task's name is its queue's here. */
  private activeTasks(w: Worker): { totals: Record<string, number>; activeByTask: Record<string, number>; taskQueues: Record<string, string> } {
    const activeByTask: Record<string, number> = {};
    const taskQueues: Record<string, string> = {};
    for (const t of w.active) {
      const q = this.queueNames[this.taskQueue[t]];
      activeByTask[q] = (activeByTask[q] ?? 0) + 1;
      taskQueues[q] = q;
    }
    return { totals: { ...w.totals }, activeByTask, taskQueues };
  }

  private state(name: string): ServiceState {
    const s = this.byName.get(name);
    if (!s) throw new Error(`no simulated service "${name}"`);
    return s;
  }

  private pending(q: number): number {
    return this.lists[q].length - this.heads[q];
  }

  private handle(e: Event): void {
    switch (e.kind) {
      case 'call': return e.fn();
      case 'ready': return this.ready(e.worker);
      case 'finish': return this.finish(e.worker, e.task, e.run);
      case 'kill': return this.kill(e.worker);
      case 'redeliver': return this.enqueue(e.task, true);
    }
  }

  /** Producers LPUSH and workers BRPOP: FIFO. A message given back goes to the head. */
  private enqueue(task: number, head: boolean): void {
    const q = this.taskQueue[task];
    if (!head) this.lists[q].push(task);
    else if (this.heads[q] > 0) this.lists[q][--this.heads[q]] = task;
    else this.lists[q].unshift(task);
    this.dispatch(this.services[this.taskService[task]]);
  }

  private launch(s: ServiceState, startup: number): void {
    const id = this.workers.length;
    const taskId = `sim${String(id).padStart(6, '0')}`;
    const w: Worker = {
      id, service: this.services.indexOf(s), taskId, node: `celery@${taskId}`, launchedAt: this.now, readyAt: this.now + startup,
      stoppedAt: null, status: 'PENDING', stopping: false, consuming: false, protected: false, active: [], reserved: [], processed: 0, totals: {},
      waitingSince: 0, nextQueue: 0,
    };
    this.workers.push(w);
    s.live.push(w);
    this.byNode.set(w.node, w);
    if (startup === 0) this.ready(w);
    else this.events.push({ t: w.readyAt, kind: 'ready', worker: w });
  }

  private reconcile(s: ServiceState): void {
    const live = s.live.filter((w) => !w.stopping);
    for (let i = live.length; i < s.desired; i += 1) this.launch(s, s.spec.worker.startupSeconds);
    let excess = live.length - s.desired;
    const order = [...live.filter((w) => w.status === 'PENDING'), ...live.filter((w) => w.status === 'RUNNING')];
    for (const w of order) {
      if (excess <= 0) break;
      if (w.protected) continue;
      this.stop(w);
      excess -= 1;
    }
  }

  private ready(w: Worker): void {
    if (w.stopping) return;
    w.status = 'RUNNING';
    w.consuming = true;
    w.waitingSince = this.now;
    this.dispatch(this.services[w.service]);
  }

  /** 2: a message taken now starts at once; 1: it would wait reserved; 0: the worker takes none. */
  private room(w: Worker): number {
    const { concurrency: c, prefetchMultiplier: m, acksLate } = this.services[w.service].spec.worker;
    if (w.status !== 'RUNNING' || !w.consuming) return 0;
    if (w.active.length < c && w.reserved.length === 0) return acksLate && w.active.length >= c * m ? 0 : 2;
    const reservedMax = acksLate ? c * m - w.active.length : c * m;
    return w.reserved.length < reservedMax ? 1 : 0;
  }

  private dispatch(s: ServiceState): void {
    for (;;) {
      if (!s.queues.some((q) => this.pending(q) > 0)) return;
      let best: Worker | null = null;
      let bestRoom = 0;
      for (const w of s.live) {
        const r = this.room(w);
        if (r > bestRoom || (r === bestRoom && r > 0 && best !== null && w.waitingSince < best.waitingSince)) {
          best = w;
          bestRoom = r;
        }
      }
      if (!best) return;
      this.take(best, s);
    }
  }

  private take(w: Worker, s: ServiceState): void {
    for (let i = 0; i < s.queues.length; i += 1) {
      const k = (w.nextQueue + i) % s.queues.length;
      const q = s.queues[k];
      if (this.pending(q) === 0) continue;
      const task = this.lists[q][this.heads[q]++];
      if (this.heads[q] > 4096 && this.heads[q] * 2 > this.lists[q].length) {
        this.lists[q] = this.lists[q].slice(this.heads[q]);
        this.heads[q] = 0;
      }
      w.nextQueue = (k + 1) % s.queues.length;
      w.waitingSince = this.now;
      this.takenAt[task] = this.now;
      if (w.active.length < s.spec.worker.concurrency && w.reserved.length === 0) this.start(w, task);
      else w.reserved.push(task);
      return;
    }
  }

  private start(w: Worker, task: number): void {
    w.active.push(task);
    // Celery counts a task in stats().total when it is accepted, not when it ends (docs/celery-facts.md).
    w.processed += 1;
    const name = this.queueNames[this.taskQueue[task]];
    w.totals[name] = (w.totals[name] ?? 0) + 1;
    this.startAt[task] = this.now;
    this.run[task] += 1;
    this.events.push({ t: this.now + this.trace.tasks[task].duration, kind: 'finish', worker: w, task, run: this.run[task] });
  }

  private finish(w: Worker, task: number, run: number): void {
    if (this.run[task] !== run || w.status === 'STOPPED') return;
    w.active.splice(w.active.indexOf(task), 1);
    this.finishAt[task] = this.now;
    this.completed += 1;
    this.lastFinish = this.now;
    this.completedBy[w.service] += 1;
    this.lastFinishBy[w.service] = this.now;
    const next = w.reserved.shift();
    if (next !== undefined) this.start(w, next);
    if (w.stopping) {
      if (w.active.length === 0) this.stopped(w);
    } else {
      this.dispatch(this.services[w.service]);
    }
  }

  /** SIGTERM = Celery's warm shutdown: reserved messages go back, active tasks get stopTimeout. */
  private stop(w: Worker): void {
    if (w.stopping) return;
    w.stopping = true;
    w.consuming = false;
    if (w.status === 'PENDING') return this.stopped(w);
    w.status = 'DEACTIVATING';
    const back = w.reserved.splice(0);
    for (let i = back.length - 1; i >= 0; i -= 1) this.enqueue(back[i], true);
    if (w.active.length === 0) return this.stopped(w);
    this.events.push({ t: this.now + this.services[w.service].spec.worker.stopTimeoutSeconds, kind: 'kill', worker: w });
  }

  /** SIGKILL: a running task is lost until the visibility timeout re-delivers its message. */
  private kill(w: Worker): void {
    if (w.status === 'STOPPED') return;
    for (const task of w.active.splice(0)) {
      this.interrupted[task] += 1;
      this.run[task] += 1;
      this.startAt[task] = NaN;
      this.events.push({ t: Math.max(this.now, this.takenAt[task] + this.opts.visibilityTimeoutSeconds), kind: 'redeliver', task });
    }
    this.stopped(w);
  }

  private stopped(w: Worker): void {
    w.status = 'STOPPED';
    w.stoppedAt = this.now;
    const s = this.services[w.service];
    s.live.splice(s.live.indexOf(w), 1);
    this.byNode.delete(w.node);
  }

  private sample(): void {
    this.samples.push({
      t: this.now,
      waiting: this.services.map((s) => s.queues.reduce((a, q) => a + this.pending(q), 0) + s.live.reduce((a, w) => a + w.reserved.length, 0)),
      workers: this.services.map((s) => s.live.length),
    });
  }
}
