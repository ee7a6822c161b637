import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small emulator of the ECS JSON 1.1 API (the calls the autoscaler makes, plus StopTask),
 * reached by the real @aws-sdk/client-ecs through an endpoint override. It reconciles like
 * ECS: desired above live → start tasks (after a start-up delay); desired below → stop
 * tasks, only unprotected ones (ECS never stops a protected task on scale-in), oldest first
 * (ECS chooses by placement, not by idleness). Stopping = the runner's SIGTERM, then SIGKILL.
 * Batch limits are ECS's: UpdateTaskProtection ≤ 10 tasks, DescribeTasks and GetTaskProtection
 * ≤ 100, ListTasks pages ≤ 100 (maxResults); beyond them it answers InvalidParameterException.
 * Every call is recorded (`calls`, `countsByAction`), faulted ones marked.
 */

export interface TaskInfo { taskId: string; taskArn: string; privateIp: string; service: string; cluster: string }

/** Makes an ECS task real: the local demo starts a Celery worker per task. */
export interface TaskRunner {
  start(task: TaskInfo): Promise<void> | void;
  /** Resolves when the task's process is gone (SIGTERM, SIGKILL after graceMs). */
  stop(taskId: string, opts: { graceMs: number }): Promise<void> | void;
}

export const noProcessRunner: TaskRunner = { start: () => undefined, stop: () => undefined };

interface EmuTask extends TaskInfo {
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  protectedUntil: number | null;
  /** When its protection was last set (UpdateTaskProtection enabling it). */
  protectedAt?: number;
}

interface EmuService {
  cluster: string;
  name: string;
  arn: string;
  desiredCount: number;
  startupDelayMs: number;
  stopGraceMs: number;
  deployments: number;
  /** Service events, oldest first: the scheduler's "has started" line for every task it starts. */
  events: { id: string; createdAt: number; message: string }[];
  /** An ECS Service Auto Scaling scalable target on its desired count, as DescribeScalableTargets gives it. */
  scalableTarget: { min: number; max: number } | null;
}

export interface Fault { operation?: string; kind: 'throttle' | '5xx'; count: number }
export interface CallRecord { operation: string; params: Record<string, unknown>; at: number; fault?: string }

/** Calls of one action, and how many items (tasks) they carried: UpdateTaskProtection, DescribeTasks. */
export interface ActionCount { calls: number; items: number; largest: number }

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
/** Application Auto Scaling's JSON target prefix: the emulator answers its DescribeScalableTargets too. */
const AAS_PREFIX = 'AnyScaleFrontendService.';

class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export class EcsEmulator {
  readonly calls: CallRecord[] = [];
  private readonly services = new Map<string, EmuService>();
  private readonly tasks = new Map<string, EmuTask>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private faults: Fault[] = [];
  /** Hold times of the next stops: a task that will not stop stays DEACTIVATING that long. */
  private stuckStops: number[] = [];
  /** Each stop that hung (holdNextStops): when it began and how long it held. */
  readonly heldStops: { at: number; ms: number }[] = [];
  private ipSeq = 1;
  private timer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private closed = false;
  endpoint = '';

  constructor(private readonly runner: TaskRunner = noProcessRunner) {}

  static async start(runner?: TaskRunner): Promise<EcsEmulator> {
    const emu = new EcsEmulator(runner);
    emu.server = createServer((req, res) => void emu.handle(req, res));
    await new Promise<void>((resolve) => emu.server?.listen(0, '127.0.0.1', resolve));
    emu.endpoint = `http://127.0.0.1:${(emu.server.address() as AddressInfo).port}`;
    emu.timer = setInterval(() => emu.reconcile(), 100);
    emu.timer.unref();
    return emu;
  }

  addService(o: { cluster: string; service: string; desiredCount?: number; startupDelayMs?: number; stopGraceMs?: number }): void {
    const key = `${o.cluster}/${o.service}`;
    this.services.set(key, {
      cluster: o.cluster, name: o.service, arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${o.cluster}/${o.service}`,
      desiredCount: o.desiredCount ?? 0, startupDelayMs: o.startupDelayMs ?? 0, stopGraceMs: o.stopGraceMs ?? 30_000, deployments: 1, events: [], scalableTarget: null,
    });
    this.reconcile();
  }

  injectFaults(f: Fault): void {
    this.faults.push({ ...f });
  }

  /** The next `count` tasks ECS stops hang in DEACTIVATING for `ms` before their process is stopped. */
  holdNextStops(count: number, ms: number): void {
    for (let i = 0; i < count; i += 1) this.stuckStops.push(ms);
  }

  /** As if the service's events so far were `ms` older: a fleet that has been up a while. */
  ageEvents(cluster: string, service: string, ms: number): void {
    for (const e of this.svc(cluster, service).events) e.createdAt -= ms;
  }

  /** Registers (or, with null, deregisters) an Application Auto Scaling scalable target on the service. */
  setScalableTarget(cluster: string, service: string, target: { min: number; max: number } | null): void {
    this.svc(cluster, service).scalableTarget = target;
  }

  setDeploymentInProgress(cluster: string, service: string, inProgress: boolean): void {
    this.svc(cluster, service).deployments = inProgress ? 2 : 1;
  }

  desiredCount(cluster: string, service: string): number {
    return this.svc(cluster, service).desiredCount;
  }

  /** Every task of a service, stopped ones included, oldest first. */
  taskList(cluster: string, service: string): Readonly<EmuTask>[] {
    return [...this.tasks.values()].filter((t) => t.cluster === cluster && t.service === service).sort((a, b) => a.createdAt - b.createdAt);
  }

  liveTasks(cluster: string, service: string): Readonly<EmuTask>[] {
    return this.taskList(cluster, service).filter((t) => t.desiredStatus === 'RUNNING');
  }

  /** A task that dies on its own (the process crashed, the host went away). */
  stopTaskExternally(taskId: string, reason = 'Essential container exited'): void {
    const t = this.tasks.get(taskId);
    if (t) this.stopTask(t, reason);
  }

  callsOf(operation: string): CallRecord[] {
    return this.calls.filter((c) => c.operation === operation && !c.fault);
  }

  /** Calls per action since `from` (an index into `calls`), with the tasks each carried; faulted ones left out. */
  countsByAction(from = 0): Record<string, ActionCount> {
    const out: Record<string, ActionCount> = {};
    for (const c of this.calls.slice(from)) {
      if (c.fault) continue;
      const items = Array.isArray(c.params.tasks) ? c.params.tasks.length : 0;
      const a = (out[c.operation] ??= { calls: 0, items: 0, largest: 0 });
      a.calls += 1;
      a.items += items;
      a.largest = Math.max(a.largest, items);
    }
    return out;
  }

  /** Waits until no task is starting or stopping and the live count matches every desired count. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.reconcile();
      const busy = [...this.tasks.values()].some((t) => t.lastStatus !== 'RUNNING' && t.lastStatus !== 'STOPPED');
      const mismatch = [...this.services.values()].some((s) => {
        const live = this.liveTasks(s.cluster, s.name);
        return live.length !== s.desiredCount && live.filter((t) => !this.isProtected(t)).length > 0;
      });
      if (!busy && !mismatch && this.inFlight.size === 0) return;
      if (Date.now() > deadline) throw new Error('ECS emulator did not settle');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections?.();
    const live = [...this.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED');
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(live.map((t) => this.runner.stop(t.taskId, { graceMs: 5_000 })));
  }

  private svc(cluster: string, service: string): EmuService {
    const name = cluster.split('/').pop() as string;
    const s = this.services.get(`${name}/${service.split('/').pop()}`);
    if (!s) throw new ApiError('ServiceNotFoundException', `Service not found: ${cluster}/${service}`);
    return s;
  }

  private isProtected(t: EmuTask): boolean {
    return t.protectedUntil !== null && t.protectedUntil > Date.now();
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private reconcile(): void {
    if (this.closed) return;
    for (const s of this.services.values()) {
      const live = this.liveTasks(s.cluster, s.name);
      if (live.length < s.desiredCount) {
        for (let i = live.length; i < s.desiredCount; i += 1) this.launch(s);
      } else if (live.length > s.desiredCount) {
        let excess = live.length - s.desiredCount;
        // Not-yet-running tasks go first, then the oldest: never a protected one.
        const order = [...live.filter((t) => t.lastStatus !== 'RUNNING'), ...live.filter((t) => t.lastStatus === 'RUNNING')];
        for (const t of order) {
          if (excess === 0) break;
          if (this.isProtected(t)) continue;
          this.stopTask(t, 'Scaling activity initiated by (deployment ecs-svc)');
          excess -= 1;
        }
      }
    }
  }

  private launch(s: EmuService): void {
    const taskId = randomBytes(16).toString('hex');
    const n = this.ipSeq++;
    const t: EmuTask = {
      taskId, taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${s.cluster}/${taskId}`,
      privateIp: `10.0.${Math.floor(n / 250)}.${(n % 250) + 2}`, service: s.name, cluster: s.cluster,
      lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', createdAt: Date.now(), protectedUntil: null,
    };
    this.tasks.set(taskId, t);
    s.events.push({ id: randomBytes(8).toString('hex'), createdAt: Date.now(), message: `(service ${s.name}) has started 1 tasks: (task ${taskId}).` });
    if (s.events.length > 100) s.events.shift();
    this.track((async () => {
      await new Promise((r) => setTimeout(r, s.startupDelayMs));
      if (t.desiredStatus !== 'RUNNING') return;
      t.lastStatus = 'PENDING';
      try {
        await this.runner.start(t);
        if (t.desiredStatus === 'RUNNING') {
          t.lastStatus = 'RUNNING';
          t.startedAt = Date.now();
        }
      } catch (e) {
        t.desiredStatus = 'STOPPED';
        t.lastStatus = 'STOPPED';
        t.stoppedReason = `Task failed to start: ${(e as Error).message}`;
      }
    })());
  }

  private stopTask(t: EmuTask, reason: string): void {
    if (t.desiredStatus === 'STOPPED') return;
    t.desiredStatus = 'STOPPED';
    t.stoppedReason = reason;
    if (t.lastStatus === 'STOPPED') return;
    t.lastStatus = 'DEACTIVATING';
    const grace = this.services.get(`${t.cluster}/${t.service}`)?.stopGraceMs ?? 30_000;
    const hold = this.stuckStops.shift() ?? 0;
    if (hold > 0) this.heldStops.push({ at: Date.now(), ms: hold });
    const holdUntil = Date.now() + hold;
    this.track((async () => {
      while (Date.now() < holdUntil && !this.closed) await new Promise((r) => setTimeout(r, 100));
      try {
        await this.runner.stop(t.taskId, { graceMs: grace });
      } finally {
        t.lastStatus = 'STOPPED';
        t.stoppedAt = Date.now();
      }
    })());
  }

  private describeTask(t: EmuTask): Record<string, unknown> {
    return {
      taskArn: t.taskArn,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${t.cluster}`,
      group: `service:${t.service}`,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      createdAt: t.createdAt / 1000,
      ...(t.startedAt ? { startedAt: t.startedAt / 1000 } : {}),
      ...(t.stoppedAt ? { stoppedAt: t.stoppedAt / 1000 } : {}),
      ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
      launchType: 'FARGATE',
      attachments: [{ id: `eni-${t.taskId.slice(0, 8)}`, type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: t.privateIp }] }],
      containers: [{ name: 'worker', lastStatus: t.lastStatus, taskArn: t.taskArn }],
    };
  }

  private protection(t: EmuTask): Record<string, unknown> {
    const on = this.isProtected(t);
    return { taskArn: t.taskArn, protectionEnabled: on, ...(on ? { expirationDate: (t.protectedUntil as number) / 1000 } : {}) };
  }

  private findTask(ref: string): EmuTask | undefined {
    return this.tasks.get(ref.split('/').pop() as string);
  }

  private operation(op: string, p: Record<string, any>): unknown {
    switch (op) {
      case 'DescribeServices': {
        const services: unknown[] = [];
        const failures: unknown[] = [];
        for (const name of p.services ?? []) {
          try {
            const s = this.svc(p.cluster ?? 'default', name);
            const live = this.liveTasks(s.cluster, s.name);
            services.push({
              serviceArn: s.arn, serviceName: s.name, clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${s.cluster}`,
              status: 'ACTIVE', desiredCount: s.desiredCount, launchType: 'FARGATE',
              runningCount: live.filter((t) => t.lastStatus === 'RUNNING').length,
              pendingCount: live.filter((t) => t.lastStatus !== 'RUNNING').length,
              taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${s.name}:1`,
              deployments: Array.from({ length: s.deployments }, (_, i) => ({ id: `ecs-svc/${i}`, status: i === 0 ? 'PRIMARY' : 'ACTIVE', desiredCount: s.desiredCount })),
              events: [...s.events].reverse().map((e) => ({ ...e, createdAt: e.createdAt / 1000 })),
            });
          } catch {
            failures.push({ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${p.cluster}/${name}`, reason: 'MISSING' });
          }
        }
        return { services, failures };
      }
      case 'ListTasks': {
        const s = this.svc(p.cluster ?? 'default', p.serviceName);
        const want = p.desiredStatus ?? 'RUNNING';
        const all = this.taskList(s.cluster, s.name).filter((t) => t.desiredStatus === want).map((t) => t.taskArn);
        if (p.maxResults !== undefined && (!Number.isInteger(p.maxResults) || p.maxResults < 1 || p.maxResults > 100)) throw new ApiError('InvalidParameterException', 'maxResults must be between 1 and 100');
        const max = p.maxResults ?? 100;
        const start = p.nextToken ? Number(p.nextToken) : 0;
        const page = all.slice(start, start + max);
        return { taskArns: page, ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
      }
      case 'DescribeTasks': {
        if ((p.tasks ?? []).length > 100) throw new ApiError('InvalidParameterException', 'tasks can have at most 100 items');
        const tasks: unknown[] = [];
        const failures: unknown[] = [];
        for (const ref of p.tasks ?? []) {
          const t = this.findTask(ref);
          if (t) tasks.push(this.describeTask(t));
          else failures.push({ arn: ref, reason: 'MISSING' });
        }
        return { tasks, failures };
      }
      case 'UpdateService': {
        const s = this.svc(p.cluster ?? 'default', p.service);
        if (p.desiredCount !== undefined) {
          if (!Number.isInteger(p.desiredCount) || p.desiredCount < 0) throw new ApiError('InvalidParameterException', 'desiredCount must be a non-negative integer');
          s.desiredCount = p.desiredCount;
        }
        this.reconcile();
        return { service: { serviceArn: s.arn, serviceName: s.name, desiredCount: s.desiredCount, status: 'ACTIVE' } };
      }
      case 'UpdateTaskProtection': {
        const refs: string[] = p.tasks ?? [];
        if (refs.length > 10) throw new ApiError('InvalidParameterException', 'tasks can have at most 10 items');
        const minutes = p.expiresInMinutes ?? 120;
        if (p.protectionEnabled && (minutes < 1 || minutes > 2880)) throw new ApiError('InvalidParameterException', 'expiresInMinutes must be between 1 and 2880');
        const protectedTasks: unknown[] = [];
        const failures: unknown[] = [];
        for (const ref of refs) {
          const t = this.findTask(ref);
          if (!t) failures.push({ arn: ref, reason: 'MISSING' });
          else if (t.desiredStatus === 'STOPPED') failures.push({ arn: ref, reason: 'TASK_NOT_VALID: task is STOPPED' });
          else {
            t.protectedUntil = p.protectionEnabled ? Date.now() + minutes * 60_000 : null;
            if (p.protectionEnabled) t.protectedAt = Date.now();
            protectedTasks.push(this.protection(t));
          }
        }
        this.reconcile();
        return { protectedTasks, failures };
      }
      case 'GetTaskProtection': {
        const refs: string[] = p.tasks ?? [];
        if (refs.length > 100) throw new ApiError('InvalidParameterException', 'tasks can have at most 100 items');
        return { protectedTasks: refs.map((r) => this.findTask(r)).filter((t): t is EmuTask => !!t).map((t) => this.protection(t)), failures: [] };
      }
      case 'StopTask': {
        const t = this.findTask(p.task ?? '');
        if (!t) throw new ApiError('InvalidParameterException', `The referenced task was not found: ${p.task}`);
        this.stopTask(t, p.reason ?? 'Task stopped by user');
        return { task: this.describeTask(t) };
      }
      case 'DescribeScalableTargets': {
        if (p.ServiceNamespace !== 'ecs') return { ScalableTargets: [] };
        const ids: string[] | undefined = p.ResourceIds;
        const ScalableTargets = [...this.services.values()]
          .filter((s) => s.scalableTarget && (!ids || ids.includes(`service/${s.cluster}/${s.name}`)) && (!p.ScalableDimension || p.ScalableDimension === 'ecs:service:DesiredCount'))
          .map((s) => ({
            ServiceNamespace: 'ecs', ResourceId: `service/${s.cluster}/${s.name}`, ScalableDimension: 'ecs:service:DesiredCount',
            MinCapacity: s.scalableTarget?.min, MaxCapacity: s.scalableTarget?.max, RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
            CreationTime: Date.now() / 1000,
          }));
        return { ScalableTargets };
      }
      default:
        throw new ApiError('UnknownOperationException', `operation ${op} is not emulated`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = [TARGET_PREFIX, AAS_PREFIX].reduce((t, prefix) => (t.startsWith(prefix) ? t.slice(prefix.length) : t), target);
    let params: Record<string, unknown> = {};
    try {
      params = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      /* answered below as a bad request */
    }
    const record: CallRecord = { operation: op, params, at: Date.now() };
    this.calls.push(record);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomBytes(8).toString('hex') });
      res.end(JSON.stringify(body));
    };
    const fault = this.faults.find((f) => f.count > 0 && (!f.operation || f.operation === op));
    if (fault) {
      fault.count -= 1;
      record.fault = fault.kind;
      if (fault.kind === 'throttle') return reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      return reply(500, { __type: 'ServerException', message: 'Service unavailable (injected)' });
    }
    try {
      reply(200, this.operation(op, params));
    } catch (e) {
      if (e instanceof ApiError) reply(e.status, { __type: e.type, message: e.message });
      else reply(500, { __type: 'ServerException', message: String((e as Error).message) });
    }
  }
}
