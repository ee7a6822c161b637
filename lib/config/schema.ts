import { z } from 'zod';
import { dbConflict } from './broker-db';

/** Celery's Redis transport default priority steps (kombu/transport/redis.py PRIORITY_STEPS). */
export const DEFAULT_PRIORITY_STEPS = [0, 3, 6, 9];

const name = z.string().min(1, 'must not be empty');
const nonNegativeInt = z.number().int('must be a whole number').nonnegative('must be ≥ 0');
const positive = z.number().positive('must be > 0');
const nonNegative = z.number().nonnegative('must be ≥ 0');

// The .describe() texts are the reference: docs/config.md and the editor's JSON Schema are
// generated from them (npm run docs:config), so they say what a value means, in one sentence.
export const brokerSchema = z
  .object({
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional()
      .describe('The broker URL, redis:// or rediss:// (TLS), with user:password@ if needed. For local runs; in production use urlParameter. Never logged.'),
    urlParameter: z.string().regex(/^[a-zA-Z0-9_.\-/]+$/, 'must be an SSM parameter name').optional()
      .describe('Name of an SSM SecureString parameter holding the broker URL; read with decryption at runtime and cached for 5 minutes. The IAM role may read this parameter only.'),
    db: nonNegativeInt.max(15, 'must be ≤ 15').optional()
      .describe("Redis database number the Celery app uses (the pidbox channel is /{db}.celery.pidbox). The broker URL's /N decides it; set db only for a URL without /N. A db that contradicts the URL's /N is an error naming both; neither: 0."),
    globalKeyprefix: z.string().default('')
      .describe("Celery's broker_transport_options.global_keyprefix, prepended to every key and channel."),
    prioritySteps: z.array(nonNegativeInt.max(255)).min(1).default(DEFAULT_PRIORITY_STEPS)
      .describe("Celery's broker_transport_options.priority_steps: a queue is one Redis list per step."),
    connectTimeoutMs: z.number().int().positive().max(60_000).default(2000)
      .describe('Give up connecting to the broker after this long: a cycle fails in seconds, not at the Lambda timeout.'),
    controlTimeoutMs: z.number().int().positive().max(60_000).default(1500)
      .describe('How long a remote-control command (inspect, cancel_consumer) waits for the nodes it expects to reply.'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.url === undefined) === (b.urlParameter === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['url'], message: 'set exactly one of url or urlParameter' });
    }
    const conflict = b.url === undefined ? null : dbConflict(b.db, b.url);
    if (conflict) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['db'], message: conflict });
  })
  .describe('The Celery broker (Redis) the workers consume from. Exactly one of url or urlParameter.');

export const serviceSchema = z
  .object({
    cluster: name.describe('ECS cluster name (or ARN) of the service.'),
    service: name.describe('ECS service name running the Celery workers.'),
    queues: z.array(name).min(1, 'must list at least one queue')
      .describe("The Celery queues this service's workers consume (-Q); a queue belongs to one service."),
    minWorkers: nonNegativeInt.default(0).describe('Never fewer workers than this. 0 allows scaling to zero after idleMinutes.'),
    maxWorkers: nonNegativeInt.describe('Never more workers than this (at most hardMaxWorkers).'),
    tasksPerWorkerPerMinute: positive
      .describe("One worker's throughput (tasks/min), used until enough history measures the real one."),
    targetMinutes: positive.default(5).describe('Size the fleet to finish the backlog within this many minutes.'),
    startupSeconds: nonNegative.default(60)
      .describe('From a desired-count increase until the new worker consumes (image pull, boot): added workers work that much less of the target.'),
    scaleUpThreshold: z.number().min(1, 'must be ≥ 1').max(10, 'must be ≤ 10').default(1)
      .describe('Scale up only when needed workers > current × this (1.1 ignores 10% blips). Default 1: a late worker costs missed targets; the bench (docs/benchmarks.md) ran with it.'),
    scaleDownThreshold: z.number().positive('must be > 0').max(1, 'must be ≤ 1').default(0.9)
      .describe('Scale down only when needed workers ≤ current × this. Default 0.9, measured: with fleets of 5–7 workers 0.8 kept a whole extra worker (steady load: paid/busy 1.10 against 1.02).'),
    scaleUpCooldownSeconds: nonNegative.default(60).describe('No scale-up within this long after the last scale-up. Default 60 s, one cycle: the bench ran with it.'),
    scaleDownCooldownSeconds: nonNegative.default(30)
      .describe('No scale-down within this long after any scale action. Default 30 s, measured: ScaleDown runs seconds after its cycle, so any cooldown of a cycle (60 s) or more blocked every other cycle and kept a flood\'s whole fleet idle for minutes; the drain lock and the window already prevent flapping.'),
    stabilizationSeconds: nonNegative.default(120)
      .describe('A lower need must hold this long before a scale-down (the highest recommendation in the window is used). Default 120 s, measured: about one start-up plus a cycle; 300 s paid an idle fleet after every burst for more than the start-ups it saved.'),
    drainTimeoutSeconds: positive.max(3600, 'must be ≤ 3600').default(600)
      .describe('A drain not finished within this long gives the still-busy workers their queues back; only the drained ones are removed. Default 600 s: the bench ran with it; it bounds how long one slow task holds the service\'s lock.'),
    idleMinutes: nonNegative.default(2)
      .describe('With minWorkers 0: no work and no arrivals for this long before scaling to zero. Default 2 min, measured: keeping an idle worker costs a worker-minute a minute, bringing one back costs its start-up, so hold about one start-up (ski rental); 10 min cost more than the start-ups it saved on every bursty workload.'),
    allowOtherAutoscaling: z.boolean().default(false)
      .describe('A service with an ECS Service Auto Scaling (Application Auto Scaling) scalable target or policy on its desired count is not scaled, and every cycle and `plan` say why: two autoscalers undo each other. true scales it anyway (the other one, e.g. a scheduled action, is known not to fight).'),
  })
  .strict()
  .describe('One ECS service of Celery workers and how to size it.');

export const configSchema = z
  .object({
    broker: brokerSchema,
    hardMaxWorkers: z.number().int().positive().max(1000).default(100)
      .describe('Deploy-time ceiling: no maxWorkers and no execution override may exceed it.'),
    services: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'service names use letters, digits, - and _'), serviceSchema)
      .refine((s) => Object.keys(s).length > 0, 'must configure at least one service')
      .describe('The worker services to scale, by name (letters, digits, - and _).'),
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
  })
  .describe('celery-ecs-autoscaler configuration (autoscaler.config.yml).');

/** Rules that span fields (the superRefines above), for the generated reference. */
export const CROSS_FIELD_RULES = [
  '`broker`: exactly one of `url` or `urlParameter`.',
  "`broker.db` agrees with the broker URL's `/N` (`broker.url`, `BROKER_URL`, `--broker-url` or the SSM parameter); the URL decides, `db` is for a URL without `/N`.",
  '`services.<name>.minWorkers` ≤ `services.<name>.maxWorkers`.',
  '`services.<name>.maxWorkers` ≤ `hardMaxWorkers` (and so is every execution override).',
  'A queue is consumed by one service only.',
];

export type BrokerConfig = z.infer<typeof brokerSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type AutoscalerConfig = z.infer<typeof configSchema>;
export type ServiceConfigInput = z.input<typeof serviceSchema>;
export type AutoscalerConfigInput = z.input<typeof configSchema>;
