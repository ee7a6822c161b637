import { z } from 'zod';

/** Celery's Redis transport default priority steps (kombu/transport/redis.py PRIORITY_STEPS). */
export const DEFAULT_PRIORITY_STEPS = [0, 3, 6, 9];

const name = z.string().min(1, 'must not be empty');
const nonNegativeInt = z.number().int('must be a whole number').nonnegative('must be ≥ 0');
const positive = z.number().positive('must be > 0');
const nonNegative = z.number().nonnegative('must be ≥ 0');

export const brokerSchema = z
  .object({
    /** redis:// or rediss:// URL. Exactly one of url / urlParameter. Never logged. */
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
    /** Name of an SSM SecureString parameter that holds the URL (read at runtime, cached). */
    urlParameter: z.string().regex(/^[a-zA-Z0-9_.\-/]+$/, 'must be an SSM parameter name').optional(),
    /** Redis database number the Celery app uses (the pidbox channel is `/{db}.celery.pidbox`). */
    db: nonNegativeInt.max(15, 'must be ≤ 15').default(0),
    /** Celery's `broker_transport_options.global_keyprefix`; prepended to every key and channel. */
    globalKeyprefix: z.string().default(''),
    /** Celery's `broker_transport_options.priority_steps`. */
    prioritySteps: z.array(nonNegativeInt.max(255)).min(1).default(DEFAULT_PRIORITY_STEPS),
    connectTimeoutMs: z.number().int().positive().max(60_000).default(2000),
    /** How long a remote-control command waits for replies from the nodes it expects. */
    controlTimeoutMs: z.number().int().positive().max(60_000).default(1500),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.url === undefined) === (b.urlParameter === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['url'], message: 'set exactly one of url or urlParameter' });
    }
  });

export const serviceSchema = z
  .object({
    /** ECS cluster name (or ARN) and service name. */
    cluster: name,
    service: name,
    /** Celery queues this service's workers consume. */
    queues: z.array(name).min(1, 'must list at least one queue'),
    minWorkers: nonNegativeInt.default(0),
    maxWorkers: nonNegativeInt,
    /** Throughput of one worker, used until enough history measures the real one. */
    tasksPerWorkerPerMinute: positive,
    /** Finish the backlog within this many minutes. */
    targetMinutes: positive.default(5),
    /** From a desired-count increase until the new worker consumes. */
    startupSeconds: nonNegative.default(60),
    /** Scale up only when needed workers > current × this (≥ 1; 1.1 ignores 10% blips). */
    scaleUpThreshold: z.number().min(1, 'must be ≥ 1').max(10, 'must be ≤ 10').default(1),
    /** Scale down only when needed workers ≤ current × this (0 < x ≤ 1). */
    scaleDownThreshold: z.number().positive('must be > 0').max(1, 'must be ≤ 1').default(0.8),
    scaleUpCooldownSeconds: nonNegative.default(60),
    scaleDownCooldownSeconds: nonNegative.default(300),
    /** A lower recommendation must hold for this long before a scale-down. */
    stabilizationSeconds: nonNegative.default(300),
    /** A drain not finished within this long gives the workers their queues back. */
    drainTimeoutSeconds: positive.max(3600, 'must be ≤ 3600').default(600),
    /** With minWorkers 0: no work and no arrivals for this long before scaling to zero. */
    idleMinutes: nonNegative.default(10),
  })
  .strict();

export const configSchema = z
  .object({
    broker: brokerSchema,
    /** Deploy-time ceiling: no config value or execution override may exceed it. */
    hardMaxWorkers: z.number().int().positive().max(1000).default(100),
    services: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'service names use letters, digits, - and _'), serviceSchema)
      .refine((s) => Object.keys(s).length > 0, 'must configure at least one service'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const owner = new Map<string, string>();
    for (const [svc, s] of Object.entries(c.services)) {
      if (s.minWorkers > s.maxWorkers) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['services', svc, 'minWorkers'], message: `minWorkers (${s.minWorkers}) is above maxWorkers (${s.maxWorkers})` });
      }
      if (s.maxWorkers > c.hardMaxWorkers) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['services', svc, 'maxWorkers'], message: `maxWorkers (${s.maxWorkers}) is above hardMaxWorkers (${c.hardMaxWorkers})` });
      }
      s.queues.forEach((q, i) => {
        const other = owner.get(q);
        if (other !== undefined) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['services', svc, 'queues', i], message: `queue "${q}" is already consumed by service "${other}"` });
        }
        owner.set(q, svc);
      });
    }
  });

export type BrokerConfig = z.infer<typeof brokerSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type AutoscalerConfig = z.infer<typeof configSchema>;
export type ServiceConfigInput = z.input<typeof serviceSchema>;
export type AutoscalerConfigInput = z.input<typeof configSchema>;
