import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { amqpBroker, redisBroker, type BrokerClient } from './broker';
import { BrokerUrlError, resolveBrokerUrl } from './broker-url';
import { ValidationError } from './errors';
import { loadConfigFile, stateStoreOf, transportOf, transportOfUrl, type AutoscalerConfig } from './config';
import type { HistoryPort, LeasePort } from './cycle/ports';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { createEcsClient, ecsConcurrency, EcsService } from './ecs';
import { createAppAutoScalingClient, otherAutoscalingOf } from './ecs/other-autoscaling';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, DynamoStateStore } from './state/dynamo';
import { StateStore, statePrefix } from './state/store';

/** What every step needs, built once per Lambda container (or local process) and reused. */
export interface Runtime {
  config: AutoscalerConfig;
  /** The broker the workers consume from: remote control and queue depths. */
  broker: BrokerClient;
  /** Leases and what outlives a cycle: in the broker's Redis or a DynamoDB table (`state.store`). */
  state: LeasePort & HistoryPort;
  ecs(cluster: string, service: string): EcsService;
  /** ECS Service Auto Scaling on the service (why to leave it alone) or null; cached OTHER_AUTOSCALING_TTL_MS per service. */
  otherAutoscaling(cluster: string, service: string): Promise<string | null>;
  now(): number;
  /** Closes every connection it opened (the control reader reconnects forever otherwise). */
  close(): void;
}

let cached: Promise<Runtime> | null = null;

/** The DynamoDB table state lives in: `state.table`, else the one serverless.yml made (STATE_TABLE). */
export function stateTableName(config: AutoscalerConfig, env: NodeJS.ProcessEnv = process.env): string {
  const table = config.state.table ?? env.STATE_TABLE;
  if (!table) throw new ValidationError('config', ['state.table: state.store is dynamodb but no table is named: set state.table, or deploy with serverless.yml (it creates one and sets STATE_TABLE)']);
  return table;
}

/** A scalable target is set up or removed by hand, rarely: read it once per service every few minutes, not every cycle. */
export const OTHER_AUTOSCALING_TTL_MS = 5 * 60 * 1000;

/** The config shipped in the bundle (Lambda), or AUTOSCALER_CONFIG_PATH, or ./autoscaler.config.yml. */
export function configPath(): string {
  if (process.env.AUTOSCALER_CONFIG_PATH) return process.env.AUTOSCALER_CONFIG_PATH;
  const inBundle = process.env.LAMBDA_TASK_ROOT ? join(process.env.LAMBDA_TASK_ROOT, 'autoscaler.config.yml') : '';
  return inBundle && existsSync(inBundle) ? inBundle : 'autoscaler.config.yml';
}

/**
 * A runtime over one broker URL: the Lambdas build it from the environment, the `plan`
 * command from its flags (and, with --no-ecs, its own ECS stand-in).
 */
export function assembleRuntime(configIn: AutoscalerConfig, url: string, opts: {
  stage: string; ecsService?: (cluster: string, service: string) => EcsService; ecsClient?: ECSClient;
  /** null: no Application Auto Scaling to ask (`plan --no-ecs`). */
  appAutoScalingClient?: ApplicationAutoScalingClient | null;
}): Runtime {
  const config = configIn;
  // The URL must be the broker the config describes (BROKER_URL or --broker-url can say otherwise).
  const transport = transportOfUrl(url);
  if (transport !== transportOf(config.broker)) {
    throw new BrokerUrlError(`the broker URL is ${transport ?? 'neither redis nor amqp'} but the config's broker is ${transportOf(config.broker)}: set broker.transport or use the other URL`);
  }
  // On Redis the URL's /N decides the db, for the queues and the pidbox channel alike.
  const redis = transport === 'redis' ? redisBroker(config.broker, url) : null;
  const broker: BrokerClient = redis ?? amqpBroker(config.broker, url);
  let dynamo: DynamoDBClient | null = null;
  // The schema allows state in Redis only with a Redis broker.
  const state = redis && stateStoreOf(config) === 'redis'
    ? new StateStore(redis.redis, statePrefix(opts.stage), config.broker.connectTimeoutMs)
    : new DynamoStateStore((dynamo = createDynamoClient({ connectTimeoutMs: config.broker.connectTimeoutMs })), stateTableName(config), statePrefix(opts.stage));
  // Made on first use: a step that never calls ECS never loads the SDK.
  let ecsClient: ECSClient | null = opts.ecsClient ?? null;
  const services = new Map<string, EcsService>();
  let aasClient: ApplicationAutoScalingClient | null | undefined = opts.appAutoScalingClient;
  const others = new Map<string, { value: string | null; until: number }>();
  return {
    config,
    broker,
    state,
    ecs(cluster, service) {
      const k = `${cluster}/${service}`;
      let s = services.get(k);
      if (!s) services.set(k, (s = opts.ecsService ? opts.ecsService(cluster, service) : new EcsService((ecsClient ??= createEcsClient()), cluster, service, ecsConcurrency(Object.keys(config.services).length))));
      return s;
    },
    async otherAutoscaling(cluster, service) {
      if (aasClient === null) return null;
      const k = `${cluster}/${service}`;
      const hit = others.get(k);
      if (hit && hit.until > Date.now()) return hit.value;
      const value = await otherAutoscalingOf((aasClient ??= createAppAutoScalingClient()), cluster, service);
      others.set(k, { value, until: Date.now() + OTHER_AUTOSCALING_TTL_MS });
      return value;
    },
    now: () => Date.now(),
    close() {
      broker.close();
      dynamo?.destroy();
      ecsClient?.destroy();
      aasClient?.destroy();
    },
  };
}

async function build(): Promise<Runtime> {
  const config = loadConfigFile(configPath());
  return assembleRuntime(config, await resolveBrokerUrl(config.broker), { stage: process.env.STAGE ?? 'dev' });
}

export function getRuntime(): Promise<Runtime> {
  if (!cached) {
    cached = build();
    // A failed start (bad config, SSM down) must not be cached for the container's life.
    cached.catch(() => { cached = null; });
  }
  return cached;
}

/** Local runs and tests: drop connections so the next step builds afresh from the environment. */
export async function resetRuntime(): Promise<void> {
  const rt = cached;
  cached = null;
  if (rt) {
    try {
      (await rt).close();
    } catch {
      /* never built */
    }
  }
}
