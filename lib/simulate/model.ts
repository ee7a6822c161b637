import type { ServiceConfig } from '../config';
import type { EcsTask } from '../ecs';
import type { Observation } from '../observation';

/** How the workers of a service behave (Celery on Redis, on ECS). */
export interface WorkerModel {
  concurrency: number;
  /** Celery's worker_prefetch_multiplier. */
  prefetchMultiplier: number;
  /** task_acks_late: a started task stays unacked, so active + reserved ≤ concurrency × prefetch. */
  acksLate: boolean;
  /** From ECS starting the task until the worker consumes. */
  startupSeconds: number;
  /** ECS stopTimeout: SIGTERM, then SIGKILL after this long. */
  stopTimeoutSeconds: number;
}

export interface SimService {
  name: string;
  config: ServiceConfig;
  worker: WorkerModel;
}

export interface WorldOptions {
  services: SimService[];
  /** Workers already running (and consuming) at t = 0, per service. */
  initialWorkers: Record<string, number>;
  /** kombu's visibility_timeout: a SIGKILLed task's message comes back this long after delivery. */
  visibilityTimeoutSeconds: number;
  /** Give up (and report unfinished tasks) this long after the trace's horizon. */
  overrunSeconds: number;
  sampleSeconds: number;
  epochMs: number;
}

/** What a scaling policy can see and do: the measurable state, ECS, and Celery remote control. */
export interface Cloud {
  readonly now: number;
  readonly nowMs: number;
  observe(): Observation;
  ecsTasks(service: string): EcsTask[];
  desired(service: string): number;
  setDesired(service: string, n: number): void;
  protect(service: string, taskIds: string[], on: boolean): void;
  cancelConsumer(nodes: string[]): void;
  addConsumer(nodes: string[]): void;
  /** Celery inspect of one node; null when the node no longer answers (its task stopped). */
  inspect(node: string): { active: number; reserved: number; scheduled: number } | null;
  every(seconds: number, fn: () => void): void;
  after(seconds: number, fn: () => void): void;
}

/** ECS lastStatus of a simulated task. */
export type Status = 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPED';

export interface Worker {
  id: number;
  service: number;
  taskId: string;
  node: string;
  launchedAt: number;
  readyAt: number;
  stoppedAt: number | null;
  status: Status;
  stopping: boolean;
  consuming: boolean;
  protected: boolean;
  active: number[];
  reserved: number[];
  processed: number;
  /** Started per task name (here the queue's name), as Celery's `stats().total`; `processed` is their sum. */
  totals: Record<string, number>;
  /** When it last asked the broker for work: Redis serves the longest-blocked BRPOP first. */
  waitingSince: number;
  /** kombu rotates the queue order after each fetch. */
  nextQueue: number;
}

export interface Sample {
  t: number;
  /** Per service: tasks not started (pending in Redis + reserved by a worker), and paid workers. */
  waiting: number[];
  workers: number[];
}
