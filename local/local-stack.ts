import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { publishTasks, type TaskMessage } from '../lib/celery/publish';
import { parseConfig, type AutoscalerConfig, type ServiceConfigInput } from '../lib/config';
import { runLocalCycle, type LocalCycleOptions, type LocalCycleResult } from './run-cycle';
import { resetRuntime } from '../lib/runtime';
import { CeleryWorker } from './celery/worker';
import { EcsEmulator, type TaskInfo, type TaskRunner } from './ecs-emulator';
import { RedisServer, type RedisSecurity } from './redis-server';
import { RabbitMqServer } from './rabbitmq-server';
import { AmqpConnection } from '../lib/amqp/connection';
import { publishAmqpTasks } from '../lib/amqp/publish';
import { readAmqpQueueDepths } from '../lib/amqp/depth';
import { StateStore, statePrefix, type DrainRecord } from '../lib/state/store';
import { DynamoStateStore, EXPIRES_MS, PARTITION_KEY } from '../lib/state/dynamo';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStateTable, DynamoLocal } from './dynalite';

export interface LocalStackOptions {
  /** Per service: config fields (cluster/service default to local names) and the starting count. */
  services: Record<string, Partial<ServiceConfigInput> & { queues: string[]; initialDesired?: number }>;
  hardMaxWorkers?: number;
  /** ECS task start → Celery worker launched. */
  startupDelayMs?: number;
  /** SIGTERM → SIGKILL, like the task definition's stopTimeout. */
  stopGraceMs?: number;
  concurrency?: number;
  pool?: 'threads' | 'prefork' | 'solo';
  controlTimeoutMs?: number;
  stage?: string;
  /** Keep Redis data across a restart (fault-injection scenarios). */
  persistentRedis?: boolean;
  /** Shorter service-lock lease, so a dead cycle's lock runs out within a test. */
  lockLeaseSeconds?: number;
  /** A password / ACL user (and TLS) on the broker: every client then uses the secured URL. */
  redisSecurity?: RedisSecurity;
  /** The fixture's completion counts on their own redis-server, so a broker restarted without data keeps them. */
  separateResults?: boolean;
  /** Where the autoscaler keeps its state: the broker's Redis (default) or a DynamoDB API of the stack's own (dynalite). */
  stateStore?: 'redis' | 'dynamodb';
  /**
   * The Celery broker: a redis-server (default) or a RabbitMQ node of the stack's own (workers on
   * pyamqp, state in DynamoDB, and the redis-server kept only for the fixture's counts).
   */
  broker?: 'redis' | 'rabbitmq';
  /** With rabbitmq: the autoscaler's cycles reach the broker as this user (made with these permissions), not as guest. */
  rabbitUser?: { user: string; password: string; permissions: { configure: string; write: string; read: string } };
}

/**
 * The whole product on one machine: a redis-server, the ECS emulator whose tasks are real
 * Celery worker processes (node name `worker@<task id>`), and the real state machine run by
 * aws-local-stepfunctions over the real handlers. Used by the tests and by `npm start`.
 */
export class LocalStack {
  readonly workers = new Map<string, CeleryWorker>();
  client!: Redis;
  /** Where the fixture counts completions (`fixture:completed`), running tasks (`fixture:running`) and, with separateResults, the worker that took each task (`fixture:received`). */
  results!: Redis;
  private resultsServer: RedisServer | null = null;
  /** With stateStore dynamodb: the DynamoDB API the cycle's state lives in, and its table. */
  dynamo: DynamoLocal | null = null;
  readonly stateTable = 'celery-autoscaler-local-state';
  config!: AutoscalerConfig;
  private dir = '';
  /** The config the stack's cycles run with (what `measure` and `plan` take with --config). */
  configPath = '';
  private executions = 0;

  /** With broker rabbitmq: the stack's publishing connection (as guest, as the app would publish). */
  private amqp: AmqpConnection | null = null;
  /** The state store the cycles write to, read by drainRecords(); made on first use. */
  private state: StateStore | DynamoStateStore | null = null;
  private stateClient: DynamoDBClient | null = null;

  /**
   * `redis` is the broker, or with broker rabbitmq only where the fixture counts its tasks; `rabbit`
   * is the RabbitMQ node when it is the broker.
   */
  private constructor(readonly redis: RedisServer, readonly ecs: EcsEmulator, private readonly opts: LocalStackOptions, readonly rabbit: RabbitMqServer | null) {}

  /** The broker URL the autoscaler uses (BROKER_URL of its cycles). */
  get brokerUrl(): string {
    if (!this.rabbit) return this.redis.url;
    const u = this.opts.rabbitUser;
    return u ? this.rabbit.url(u.user, u.password) : this.rabbit.url();
  }

  static async start(opts: LocalStackOptions): Promise<LocalStack> {
    const rabbit = opts.broker === 'rabbitmq' ? await RabbitMqServer.start() : null;
    if (rabbit && opts.rabbitUser) await rabbit.addUser(opts.rabbitUser.user, opts.rabbitUser.password, opts.rabbitUser.permissions);
    const redis = await RedisServer.start(undefined, opts.persistentRedis ? mkdtempSync(join(tmpdir(), 'celery-autoscaler-redis-')) : undefined, opts.redisSecurity);
    let stack: LocalStack | null = null;
    const runner: TaskRunner = {
      start: (t) => stack?.startWorker(t),
      stop: (taskId, { graceMs }) => stack?.stopWorker(taskId, graceMs),
    };
    const ecs = await EcsEmulator.start(runner);
    stack = new LocalStack(redis, ecs, opts, rabbit);
    await stack.init();
    return stack;
  }

  private async init(): Promise<void> {
    const services: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(this.opts.services)) {
      const { initialDesired: _initial, ...cfg } = s;
      services[name] = { cluster: 'local', service: name, ...cfg };
    }
    // RabbitMQ has no place for the autoscaler's state: DynamoDB, as the config requires.
    if (this.opts.stateStore === 'dynamodb' || this.rabbit) {
      this.dynamo = await DynamoLocal.start();
      await createStateTable(this.dynamo.client(), this.stateTable);
    }
    this.config = parseConfig({
      broker: { url: this.brokerUrl, controlTimeoutMs: this.opts.controlTimeoutMs ?? 1000, connectTimeoutMs: 1000 },
      ...(this.dynamo ? { state: { store: 'dynamodb', table: this.stateTable } } : {}),
      hardMaxWorkers: this.opts.hardMaxWorkers ?? 20,
      services,
    });
    this.dir = mkdtempSync(join(tmpdir(), 'celery-autoscaler-'));
    const configPath = join(this.dir, 'autoscaler.config.yml');
    this.configPath = configPath;
    writeFileSync(configPath, JSON.stringify({ ...this.config, broker: { ...this.config.broker } }, null, 2));
    Object.assign(process.env, {
      AUTOSCALER_CONFIG_PATH: configPath,
      BROKER_URL: this.brokerUrl,
      ECS_ENDPOINT: this.ecs.endpoint,
      STAGE: this.opts.stage ?? 'local',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AUTOSCALER_LOCK_LEASE_SECONDS: String(this.opts.lockLeaseSeconds ?? 180),
    });
    // The cycle's DynamoDB client goes to the stack's own DynamoDB API; without one, to no endpoint of ours.
    if (this.dynamo) process.env.DYNAMODB_ENDPOINT = this.dynamo.endpoint;
    else delete process.env.DYNAMODB_ENDPOINT;
    await resetRuntime();
    this.client = new Redis(this.redis.url, { maxRetriesPerRequest: 1 });
    this.client.on('error', () => undefined);
    this.resultsServer = this.opts.separateResults && !this.rabbit ? await RedisServer.start() : null;
    this.results = this.resultsServer ? this.resultsServer.client() : this.client;
    if (this.rabbit) this.amqp = new AmqpConnection(this.rabbit.url(), { connectTimeoutMs: 5000 });
    for (const [name, s] of Object.entries(this.opts.services)) {
      this.ecs.addService({ cluster: 'local', service: name, desiredCount: s.initialDesired ?? 0, startupDelayMs: this.opts.startupDelayMs ?? 0, stopGraceMs: this.opts.stopGraceMs ?? 30_000 });
    }
    await this.ecs.settle(120_000);
  }

  private async startWorker(t: TaskInfo): Promise<void> {
    const svc = this.config.services[t.service];
    // With a results server of its own (always, on RabbitMQ), the fixture also records which worker took each task (`fixture:received`).
    const results = this.resultsServer ?? (this.rabbit ? this.redis : null);
    const w = await CeleryWorker.start({
      brokerUrl: this.rabbit ? this.rabbit.celeryUrl() : this.redis.url, queues: svc.queues, nodeName: `worker@${t.taskId}`,
      concurrency: this.opts.concurrency ?? 2, pool: this.opts.pool ?? 'prefork',
      env: results ? { FIXTURE_RESULTS_URL: results.url, FIXTURE_RECORD_RECEIVED: '1' } : {},
    });
    this.workers.set(t.taskId, w);
    // An essential container that exits stops its ECS task (and ECS replaces it).
    w.process.once('exit', () => {
      if (this.workers.get(t.taskId) === w) {
        this.workers.delete(t.taskId);
        this.ecs.stopTaskExternally(t.taskId, 'Essential container in task exited');
      }
    });
  }

  private async stopWorker(taskId: string, graceMs: number): Promise<void> {
    const w = this.workers.get(taskId);
    if (!w) return;
    this.workers.delete(taskId);
    await w.stop('SIGTERM', graceMs);
  }

  /** One execution of the real state machine, with a unique execution name. */
  cycle(input: unknown = {}, opts: Partial<LocalCycleOptions> = {}): Promise<LocalCycleResult> {
    this.executions += 1;
    return runLocalCycle(input, { executionName: `local-${process.pid}-${this.executions}`, waitMs: 200, retryIntervalMs: 50, ...opts });
  }

  /** `record` tasks count their completions in Redis, so loss and duplicates are exact. */
  async publishRecorded(queue: string, keys: string[], seconds: number | ((i: number) => number)): Promise<void> {
    await this.publish(queue, keys.map((k, i) => ({ task: 'tasks.record', args: [k, typeof seconds === 'number' ? seconds : seconds(i)] })));
  }

  async publish(queue: string, tasks: TaskMessage[]): Promise<string[]> {
    if (!this.amqp) return publishTasks(this.client, this.config.broker, queue, tasks);
    // As Celery's producer does before it publishes (task_create_missing_queues): the queue exists
    // (durable, no arguments, what the workers declare too), so a message sent before any worker
    // started is kept, not dropped by the default exchange.
    const ch = await (await this.amqp.get()).createChannel();
    try {
      await ch.assertQueue(queue, { durable: true });
    } finally {
      await ch.close();
    }
    return publishAmqpTasks(this.amqp, queue, tasks);
  }

  /**
   * Messages waiting per queue on the broker: LLEN on Redis (the fixture publishes without a
   * priority, so the plain list is the whole queue), a passive declare's ready count on RabbitMQ
   * (0 for a queue not declared yet). Throws when the broker is down.
   */
  async queueDepths(queues: string[]): Promise<Record<string, number>> {
    if (this.amqp) return (await readAmqpQueueDepths(this.amqp, queues)).pending;
    const depths = await Promise.all(queues.map((q) => this.client.llen(q)));
    return Object.fromEntries(queues.map((q, i) => [q, depths[i]]));
  }

  /** Each service's drain record as the cycles left it, from the state store they use (the broker's Redis or the stack's DynamoDB). */
  drainRecords(services: string[]): Promise<Record<string, DrainRecord | null>> {
    const prefix = statePrefix(this.opts.stage ?? 'local');
    if (!this.state) {
      if (this.dynamo) this.state = new DynamoStateStore((this.stateClient ??= this.dynamo.client()), this.stateTable, prefix);
      else this.state = new StateStore(this.client, prefix, this.config.broker.connectTimeoutMs);
    }
    return this.state.drainRecords(services);
  }

  /**
   * A service's lock as the cycles' state store holds it: the holder and the milliseconds its lease
   * has left (-1: no expiry), null when free. On DynamoDB a lease past its expiry is free (the store
   * checks expiry on every read; TTL deletes items late).
   */
  async lockLease(service: string): Promise<{ holder: string; pttlMs: number } | null> {
    const key = `${statePrefix(this.opts.stage ?? 'local')}lock:${service}`;
    if (!this.dynamo) {
      const [holder, pttl] = await Promise.all([this.client.get(key), this.client.pttl(key)]);
      return holder ? { holder, pttlMs: pttl } : null;
    }
    this.stateClient ??= this.dynamo.client();
    const { Item } = await this.stateClient.send(new GetItemCommand({ TableName: this.stateTable, Key: { [PARTITION_KEY]: { S: key } }, ConsistentRead: true }));
    const holder = Item?.token?.S;
    if (!holder) return null;
    const expires = Item?.[EXPIRES_MS]?.N;
    if (expires === undefined) return { holder, pttlMs: -1 };
    const left = Number(expires) - Date.now();
    return left > 0 ? { holder, pttlMs: left } : null;
  }

  /**
   * The text of kombu's `unacked` hash on Redis (delivery tag → [message, exchange, routing key] of
   * messages workers took and have not acknowledged), '' when Redis is down. RabbitMQ keeps a
   * worker's unacknowledged messages on its channel and gives them back when the channel closes,
   * so nothing waits anywhere: ''.
   */
  async unackedText(): Promise<string> {
    if (this.rabbit) return '';
    return Object.values(await this.client.hgetall('unacked').catch(() => ({}))).join('\n');
  }

  async completed(): Promise<Record<string, number>> {
    const h = await this.results.hgetall('fixture:completed');
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }

  liveWorkers(service: string): string[] {
    return this.ecs.liveTasks('local', service).map((t) => `worker@${t.taskId}`);
  }

  async stop(): Promise<void> {
    await resetRuntime();
    this.stateClient?.destroy();
    await this.ecs.close();
    await Promise.allSettled([...this.workers.values()].map((w) => w.stop('SIGKILL', 0)));
    this.client?.disconnect();
    if (this.resultsServer) this.results.disconnect();
    await this.resultsServer?.stop();
    await this.amqp?.close();
    await this.redis.stop();
    await this.rabbit?.stop();
    await this.dynamo?.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
