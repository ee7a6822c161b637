import { z } from 'zod';
import { dbConflict } from './broker-db';

/** The broker URL schemes the autoscaler speaks: Celery's own, pyamqp:// being amqp:// (kombu's py-amqp transport). */
export const BROKER_URL_PATTERN = /^(rediss?|(py)?amqps?):\/\//;

export type Transport = 'redis' | 'amqp';

/** The transport a URL's scheme names, or null for a scheme the autoscaler does not speak. */
export function transportOfUrl(url: string): Transport | null {
  const m = /^(rediss?|(py)?amqps?):\/\//.exec(url);
  return m ? (m[1].startsWith('redis') ? 'redis' : 'amqp') : null;
}

/** The broker's transport: the URL's scheme, else `transport`, else redis. */
export function transportOf(broker: { url?: string; transport?: Transport }): Transport {
  return (broker.url === undefined ? null : transportOfUrl(broker.url)) ?? broker.transport ?? 'redis';
}

/** Where state lives: `state.store`, else DynamoDB for RabbitMQ and the broker's Redis for Redis. */
export function stateStoreOf(config: { broker: { url?: string; transport?: Transport }; state?: { store?: 'redis' | 'dynamodb' } }): 'redis' | 'dynamodb' {
  return config.state?.store ?? (transportOf(config.broker) === 'amqp' ? 'dynamodb' : 'redis');
}

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
    url: z.string().regex(BROKER_URL_PATTERN, 'must start with redis://, rediss://, amqp://, amqps:// or pyamqp://').optional()
      .describe("The broker URL: redis:// or rediss:// (TLS) for Redis, amqp:// or amqps:// (TLS, Amazon MQ's port 5671) for RabbitMQ (the broker Celery's pyamqp:// names), with user:password@ if needed. For local runs; in production use urlParameter. Never logged."),
    transport: z.enum(['redis', 'amqp']).optional()
      .describe("Which broker the URL reaches: redis or amqp (RabbitMQ). With url its scheme decides and transport may only agree; with urlParameter it says what the parameter holds (default redis), and a parameter that holds the other kind fails the cycle with both named."),
    urlParameter: z.string().regex(/^[a-zA-Z0-9_.\-/]+$/, 'must be an SSM parameter name').optional()
      .describe('Name of an SSM SecureString parameter holding the broker URL; read with decryption at runtime and cached for 5 minutes. The IAM role may read this parameter only.'),
    db: nonNegativeInt.max(15, 'must be ≤ 15').optional()
      .describe("Redis only: the database number the Celery app uses (the pidbox channel is /{db}.celery.pidbox). The broker URL's /N decides it; set db only for a URL without /N. A db that contradicts the URL's /N is an error naming both; neither: 0."),
    globalKeyprefix: z.string().default('')
      .describe("Redis only: Celery's broker_transport_options.global_keyprefix, prepended to every key and channel."),
    prioritySteps: z.array(nonNegativeInt.max(255)).min(1).default(DEFAULT_PRIORITY_STEPS)
      .describe("Redis only: Celery's broker_transport_options.priority_steps: a queue is one Redis list per step."),
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
    const fromUrl = b.url === undefined ? undefined : transportOfUrl(b.url);
    if (fromUrl && b.transport && fromUrl !== b.transport) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['transport'], message: `transport ${b.transport} contradicts the URL's ${fromUrl} scheme: the URL decides; remove transport or make them agree` });
    }
    if ((b.transport ?? fromUrl) === 'amqp') {
      // Redis-only settings on a RabbitMQ broker would be read by nothing: say so rather than ignore them.
      if (b.db !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['db'], message: 'db is a Redis database number; a RabbitMQ broker has none (its vhost is the URL\'s path)' });
      if (b.globalKeyprefix !== '') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['globalKeyprefix'], message: "globalKeyprefix is a Redis transport option; RabbitMQ has none" });
      if (JSON.stringify(b.prioritySteps) !== JSON.stringify(DEFAULT_PRIORITY_STEPS)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['prioritySteps'], message: "prioritySteps is a Redis transport option; a RabbitMQ priority queue is one queue (x-max-priority)" });
    }
  })
  .describe('The Celery broker the workers consume from: Redis or RabbitMQ (AMQP 0-9-1, e.g. Amazon MQ). Exactly one of url or urlParameter.');

export const stateSchema = z
  .object({
    store: z.enum(['redis', 'dynamodb']).optional()
      .describe("Where leases, drain and protection records, scale times and planner history live: the broker's Redis (the default with a Redis broker) or a DynamoDB table (the default with RabbitMQ, which has no Redis; an option for Redis teams who want nothing of the autoscaler's written into their broker)."),
    table: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3–255 of letters, digits, _ . -)').optional()
      .describe('The DynamoDB table, with store dynamodb. Unset: serverless.yml creates one for the stage (on-demand, with TTL) and the Lambdas get its name; set: an existing table with the same key schema.'),
  })
  .strict()
  .describe("Where the autoscaler's own state lives.");

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
    state: stateSchema.default({}),
    hardMaxWorkers: z.number().int().positive().max(1000).default(100)
      .describe('Deploy-time ceiling: no maxWorkers and no execution override may exceed it.'),
    services: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'service names use letters, digits, - and _'), serviceSchema)
      .refine((s) => Object.keys(s).length > 0, 'must configure at least one service')
      .describe('The worker services to scale, by name (letters, digits, - and _).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.state.store === 'redis' && transportOf(c.broker) === 'amqp') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['state', 'store'], message: 'store redis needs a Redis broker; with RabbitMQ use dynamodb' });
    }
    if (c.state.table !== undefined && stateStoreOf(c) !== 'dynamodb') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['state', 'table'], message: 'table is read only with store dynamodb' });
    }
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
  "`broker.transport` agrees with the broker URL's scheme when both are given; with `amqp`, the Redis-only `db`, `globalKeyprefix` and `prioritySteps` are not set.",
  '`state.store` is `dynamodb` with a RabbitMQ broker (its default there); `state.table` only with `dynamodb`.',
  "`broker.db` agrees with the broker URL's `/N` (`broker.url`, `BROKER_URL`, `--broker-url` or the SSM parameter); the URL decides, `db` is for a URL without `/N`.",
  '`services.<name>.minWorkers` ≤ `services.<name>.maxWorkers`.',
  '`services.<name>.maxWorkers` ≤ `hardMaxWorkers` (and so is every execution override).',
  'A queue is consumed by one service only.',
];

export type BrokerConfig = z.infer<typeof brokerSchema>;
export type StateConfig = z.infer<typeof stateSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type AutoscalerConfig = z.infer<typeof configSchema>;
export type ServiceConfigInput = z.input<typeof serviceSchema>;
export type AutoscalerConfigInput = z.input<typeof configSchema>;
