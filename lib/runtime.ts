import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { brokerForUrl, resolveBrokerUrl } from './broker-url';
import { connectBroker } from './celery/connection';
import { CeleryControl } from './celery/control';
import { loadConfigFile, type AutoscalerConfig } from './config';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { createEcsClient, ecsConcurrency, EcsService } from './ecs';
import { createAppAutoScalingClient, otherAutoscalingOf } from './ecs/other-autoscaling';
import { StateStore, statePrefix } from './state/store';

/** What every step needs, built once per Lambda container (or local process) and reused. */
export interface Runtime {
  config: AutoscalerConfig;
  redis: Redis;
  control: CeleryControl;
  state: StateStore;
  ecs(cluster: string, service: string): EcsService;
  /** ECS Service Auto Scaling on the service (why to leave it alone) or null; cached OTHER_AUTOSCALING_TTL_MS per service. */
  otherAutoscaling(cluster: string, service: string): Promise<string | null>;
  now(): number;
  /** Closes every connection it opened (the control reader reconnects forever otherwise). */
  close(): void;
}

let cached: Promise<Runtime> | null = null;

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
  // The URL's /N decides the db, for the queues and the pidbox channel alike.
  const config = { ...configIn, broker: brokerForUrl(configIn.broker, url) };
  const redis = connectBroker(config.broker, url);
  // Made on first use: a step that never calls ECS never loads the SDK.
  let ecsClient: ECSClient | null = opts.ecsClient ?? null;
  const services = new Map<string, EcsService>();
  let aasClient: ApplicationAutoScalingClient | null | undefined = opts.appAutoScalingClient;
  const others = new Map<string, { value: string | null; until: number }>();
  const control = new CeleryControl(redis, config.broker);
  return {
    config,
    redis,
    control,
    state: new StateStore(redis, statePrefix(opts.stage), config.broker.connectTimeoutMs),
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
      control.close();
      redis.disconnect();
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
