import type * as EcsSdk from '@aws-sdk/client-ecs';
import type { ECSClient, Task } from '@aws-sdk/client-ecs';
import { awsClientOptions } from '../aws-client';
import type { EcsObservation } from '../observation';
import { EcsError, toEcsError } from './errors';

export { EcsError, toEcsError } from './errors';
export { taskForNode, taskIdOf } from './nodes';

export interface EcsTask {
  taskId: string;
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  privateIp: string | null;
  /** Epoch ms. */
  startedAt: number | null;
}

import { DESCRIBE_BATCH, ECS_CONCURRENCY, LIST_PAGE, PROTECT_BATCH, pool } from './limits';

export { ECS_CONCURRENCY, ecsConcurrency, MAP_MAX_CONCURRENCY, PROTECT_BATCH, DESCRIBE_BATCH, LIST_PAGE, pool } from './limits';

/**
 * The SDK, loaded on first use: a handler that never calls ECS (ComputePlan, Summarize) does not
 * pay its ~70 ms load, and one that does pays it in its first invocation, not at cold start.
 */
let sdk: typeof EcsSdk | null = null;
const ecsSdk = (): typeof EcsSdk => (sdk ??= require('@aws-sdk/client-ecs') as typeof EcsSdk);

/**
 * The SDK client. ECS_ENDPOINT points it at a local emulator (tests, the demo); the SDK's own
 * retries are kept to one so Step Functions' Retry does the backing off, visibly (standard mode:
 * adaptive mode's client-side limiter held throttled batches until steps failed, docs/runbook.md).
 */
export function createEcsClient(opts: { endpoint?: string; region?: string } = {}): ECSClient {
  return new (ecsSdk().ECSClient)({ ...awsClientOptions({ endpoint: opts.endpoint ?? process.env.ECS_ENDPOINT, region: opts.region }), maxAttempts: 2 });
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

function privateIpOf(t: Task): string | null {
  for (const a of t.attachments ?? []) {
    const ip = a.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  for (const c of t.containers ?? []) {
    const ip = c.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return null;
}

/** One ECS service, as the autoscaler needs it. */
export class EcsService {
  /** `concurrency`: ECS calls this service keeps in flight at once (see lib/ecs/limits.ts). */
  constructor(private readonly client: ECSClient, readonly cluster: string, readonly service: string, readonly concurrency = ECS_CONCURRENCY) {}

  private get what(): string {
    return `ECS service ${this.cluster}/${this.service}`;
  }

  private async send<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toEcsError(e, `${doing} ${this.what}`);
    }
  }

  async describe(): Promise<EcsObservation & { taskDefinition?: string }> {
    const out = await this.send('DescribeServices', () => this.client.send(new (ecsSdk().DescribeServicesCommand)({ cluster: this.cluster, services: [this.service] })));
    const s = out.services?.find((x) => x.serviceName === this.service || x.serviceArn?.endsWith(`/${this.service}`));
    if (!s || s.status === 'INACTIVE') {
      const reason = out.failures?.[0]?.reason ?? (s ? 'INACTIVE' : 'MISSING');
      throw new EcsError(`${this.what} not found (${reason})`, false, 'ServiceNotFoundException');
    }
    return {
      desired: s.desiredCount ?? 0,
      running: s.runningCount ?? 0,
      pending: s.pendingCount ?? 0,
      deploymentInProgress: (s.deployments?.length ?? 0) > 1,
      lastStartedAt: (s.events ?? []).filter((e) => / has started \d+ tasks?/.test(e.message ?? '') && e.createdAt)
        .reduce<number | null>((a, e) => Math.max(a ?? 0, new Date(e.createdAt as Date).getTime()), null),
      taskDefinition: s.taskDefinition,
    };
  }

  /** The service's tasks that ECS wants running (including those still starting). */
  async tasks(): Promise<EcsTask[]> {
    return this.describeTasks(await this.taskArns());
  }

  /** ListTasks only: the ARNs of the tasks ECS wants running, a page of up to 100 per call (pages are sequential). */
  async taskArns(): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send('ListTasks', () => this.client.send(new (ecsSdk().ListTasksCommand)({ cluster: this.cluster, serviceName: this.service, desiredStatus: 'RUNNING', maxResults: LIST_PAGE, nextToken })));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  /** DescribeTasks on these tasks, 100 a call, side by side; a task ECS no longer knows is left out. */
  async describeTasks(taskArns: string[]): Promise<EcsTask[]> {
    const pages = await pool(chunks(taskArns, DESCRIBE_BATCH), this.concurrency, (batch) =>
      this.send('DescribeTasks', () => this.client.send(new (ecsSdk().DescribeTasksCommand)({ cluster: this.cluster, tasks: batch }))));
    const out: EcsTask[] = [];
    for (const d of pages) {
      for (const t of d.tasks ?? []) {
        if (!t.taskArn) continue;
        out.push({
          taskId: t.taskArn.split('/').pop() as string,
          taskArn: t.taskArn,
          lastStatus: t.lastStatus ?? 'UNKNOWN',
          desiredStatus: t.desiredStatus ?? 'UNKNOWN',
          privateIp: privateIpOf(t),
          startedAt: t.startedAt ? new Date(t.startedAt).getTime() : null,
        });
      }
    }
    return out;
  }

  /** Absolute and idempotent: a retried call sets the same count again. */
  async setDesiredCount(n: number): Promise<void> {
    await this.send('UpdateService', () => this.client.send(new (ecsSdk().UpdateServiceCommand)({ cluster: this.cluster, service: this.service, desiredCount: n })));
  }

  async protect(taskArns: string[], expiresInMinutes: number): Promise<void> {
    await this.setProtection(taskArns, true, expiresInMinutes);
  }

  async unprotect(taskArns: string[]): Promise<void> {
    await this.setProtection(taskArns, false);
  }

  private async setProtection(taskArns: string[], enabled: boolean, expiresInMinutes?: number): Promise<void> {
    await pool(chunks(taskArns, PROTECT_BATCH), this.concurrency, async (batch) => {
      const out = await this.send('UpdateTaskProtection', () => this.client.send(new (ecsSdk().UpdateTaskProtectionCommand)({
        cluster: this.cluster, tasks: batch, protectionEnabled: enabled, ...(enabled ? { expiresInMinutes } : {}),
      })));
      // A task that stopped meanwhile cannot be protected; any other failure must stop the scale-down.
      const failures = (out.failures ?? []).filter((f) => !(f.reason ?? '').includes('STOPPED') && f.reason !== 'MISSING');
      if (enabled && failures.length > 0) {
        throw new EcsError(`UpdateTaskProtection ${this.what}: ${failures.map((f) => `${f.arn}: ${f.reason}`).join('; ')}`, false, 'ProtectionFailed');
      }
    });
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    await this.send('StopTask', () => this.client.send(new (ecsSdk().StopTaskCommand)({ cluster: this.cluster, task: taskArn, reason })));
  }
}
