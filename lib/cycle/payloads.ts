import { z } from 'zod';

/**
 * The shapes that travel between Task states. Kept small: they are what an operator reads in
 * the Step Functions console, and every step validates the one it receives.
 */
export const cycleSchema = z.object({
  execution: z.string().min(1),
  at: z.number(),
  dryRun: z.boolean(),
  skipCooldown: z.boolean(),
  note: z.string().optional(),
});
export type Cycle = z.infer<typeof cycleSchema>;

export const measureInputSchema = z.object({ input: z.unknown(), execution: z.string().min(1) });

const nodeSchema = z.object({
  node: z.string(),
  taskId: z.string().nullable(),
  active: z.number(),
  reserved: z.number(),
  scheduled: z.number(),
  processed: z.number().nullable(),
  longestActiveSeconds: z.number().optional(),
  concurrency: z.number().nullable().optional(),
});
export const serviceObservationSchema = z.object({
  queues: z.record(z.number()),
  nodes: z.array(nodeSchema),
  missingNodes: z.array(z.string()),
  ecs: z.object({ desired: z.number(), running: z.number(), pending: z.number(), deploymentInProgress: z.boolean() }).nullable(),
  errors: z.array(z.string()),
});
export const measurementSchema = z.object({
  cycle: cycleSchema,
  /** The execution input as validated, so ComputePlan applies the same overrides. */
  input: z.unknown(),
  services: z.record(serviceObservationSchema),
  /** What this cycle undid of a cycle that died part-way (one line per service). */
  recovered: z.array(z.string()).optional(),
});
export type Measurement = z.infer<typeof measurementSchema>;

export const changeSchema = z.object({
  service: z.string(),
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  direction: z.enum(['up', 'down']),
  reason: z.string(),
  /** The throughput the plan used: a drain re-checks its target against new work with it. */
  perWorkerPerMinute: z.number().positive().optional(),
});
export type Change = z.infer<typeof changeSchema>;

export interface PlanOutput {
  cycle: Cycle;
  dryRun: boolean;
  skipCooldown: boolean;
  changes: Change[];
  holds: { service: string; reason: string }[];
  recovered?: string[];
}

export const drainNodeSchema = z.object({ node: z.string(), taskId: z.string(), taskArn: z.string() });
export type DrainNode = z.infer<typeof drainNodeSchema>;

/** One service's work inside ApplyChanges; each step adds what it learned. */
export const serviceWorkSchema = changeSchema
  .extend({
    cycle: cycleSchema,
    skipCooldown: z.boolean().default(false),
    allowed: z.boolean().optional(),
    status: z.enum(['held', 'scaledUp', 'nothing', 'draining', 'waiting', 'drained', 'timedOut', 'abandoned', 'stopping', 'done']).optional(),
    /** A backlog arrived during the drain that needs the workers it was removing: nobody is removed. */
    abandoned: z.boolean().optional(),
    drain: z.array(drainNodeSchema).optional(),
    /** Epoch ms after which a drain gives the queues back. */
    deadline: z.number().optional(),
    /** Epoch ms when DrainWorkers sent cancel_consumer: the DrainDuration metric starts here. */
    drainStartedAt: z.number().optional(),
    pollSeconds: z.number().optional(),
    drained: z.array(z.string()).optional(),
    busy: z.array(z.object({ node: z.string(), active: z.number(), reserved: z.number(), scheduled: z.number() }).or(z.object({ node: z.string(), noReply: z.literal(true) }))).optional(),
    restored: z.array(z.string()).optional(),
    /** Set once ScaleDown lowered the desired count: from then on no queue is given back. */
    scaledDown: z.boolean().optional(),
    stopDeadline: z.number().optional(),
    result: z.string().optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  })
  .passthrough();
export type ServiceWork = z.infer<typeof serviceWorkSchema>;

export const summarizeInputSchema = z.object({
  cycle: cycleSchema,
  holds: z.array(z.object({ service: z.string(), reason: z.string() })),
  recovered: z.array(z.string()).optional(),
  results: z.array(z.object({ service: z.string(), result: z.string().optional(), failed: z.boolean().optional(), error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional() }).passthrough()),
}).passthrough();
