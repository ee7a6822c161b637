import { z } from 'zod';

/**
 * The shapes that travel between Task states, one per boundary. Kept small: they are what an
 * operator reads in the Step Functions console. Each is validated once, at the handler's edge.
 */
export const cycleSchema = z.object({
  execution: z.string().min(1),
  at: z.number(),
  dryRun: z.boolean(),
  skipCooldown: z.boolean(),
  note: z.string().optional(),
});
export type Cycle = z.infer<typeof cycleSchema>;

/** MeasureQueues' input: the execution input as given, and the execution's name. */
export const measureInputSchema = z.object({ input: z.unknown(), execution: z.string().min(1) });
export type MeasureInput = z.infer<typeof measureInputSchema>;

const nodeSchema = z.object({
  node: z.string(),
  taskId: z.string().nullable(),
  active: z.number(),
  reserved: z.number(),
  scheduled: z.number(),
  processed: z.number().nullable(),
  longestActiveSeconds: z.number().optional(),
  concurrency: z.number().nullable().optional(),
  /** Per task name: started since the worker started, running now, and the queue it came from. */
  totals: z.record(z.number()).optional(),
  activeByTask: z.record(z.number()).optional(),
  taskQueues: z.record(z.string()).optional(),
});
export const serviceObservationSchema = z.object({
  queues: z.record(z.number()),
  nodes: z.array(nodeSchema),
  missingNodes: z.array(z.string()),
  ecs: z.object({ desired: z.number(), running: z.number(), pending: z.number(), deploymentInProgress: z.boolean() }).nullable(),
  errors: z.array(z.string()),
});
/** MeasureQueues → ComputePlan. */
export const measurementSchema = z.object({
  cycle: cycleSchema,
  /** The execution input as validated, so ComputePlan applies the same overrides. */
  input: z.unknown(),
  services: z.record(serviceObservationSchema),
  /** What this cycle repaired: a dead cycle's leftovers, workers missing a queue (one line each). */
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

const holdSchema = z.object({ service: z.string(), reason: z.string() });

/** ComputePlan → AnyChanges? → ApplyChanges (one branch per change). */
export interface PlanOutput {
  cycle: Cycle;
  dryRun: boolean;
  skipCooldown: boolean;
  changes: Change[];
  holds: { service: string; reason: string }[];
  recovered?: string[];
}

/** One branch of ApplyChanges: the change and its cycle (the Map's ItemSelector) → CheckCooldown. */
export const changeItemSchema = changeSchema.extend({ cycle: cycleSchema, skipCooldown: z.boolean().default(false) });
export type ChangeItem = z.infer<typeof changeItemSchema>;

/** CheckCooldown → Allowed? → ScaleUp | DrainWorkers | HeldByCooldown. */
export const cooldownOutputSchema = changeItemSchema.extend({ allowed: z.boolean(), result: z.string().optional() });
export type CooldownOutput = z.infer<typeof cooldownOutputSchema>;

export const drainNodeSchema = z.object({ node: z.string(), taskId: z.string(), taskArn: z.string() });
export type DrainNode = z.infer<typeof drainNodeSchema>;

const busySchema = z.union([
  z.object({ node: z.string(), active: z.number(), reserved: z.number(), scheduled: z.number() }),
  z.object({ node: z.string(), noReply: z.literal(true) }),
]);

/**
 * A drain in progress, from DrainWorkers to ReleaseProtection. Each node moves one way:
 * `draining` → `empty` (CheckDrain saw it hold nothing) → `released` (ScaleDown lowered the
 * desired count for it), or back to its queues (`restored`) on a timeout or an abandon.
 * `status` is what the Choice states route on:
 * - draining / waiting: poll again; release: ScaleDown removes the `empty` nodes;
 * - timedOut / abandoned: RestoreConsumers; stopping: wait for released tasks to stop; done.
 */
export const drainSchema = z.object({
  cycle: cycleSchema,
  service: z.string(),
  /** The desired count when the drain began, and the plan's target. */
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  reason: z.string(),
  perWorkerPerMinute: z.number().positive().optional(),
  status: z.enum(['draining', 'waiting', 'release', 'timedOut', 'abandoned', 'stopping', 'done']),
  draining: z.array(drainNodeSchema),
  empty: z.array(drainNodeSchema),
  released: z.array(drainNodeSchema),
  restored: z.array(z.string()),
  busy: z.array(busySchema).optional(),
  /** Epoch ms: when cancel_consumer was sent, and when still-busy nodes get their queues back. */
  startedAt: z.number(),
  deadline: z.number(),
  /** Epoch ms after which ReleaseProtection stops waiting for released tasks to stop. */
  stopDeadline: z.number().optional(),
  /**
   * The scale-in protection a completed ScaleDown of this drain set: until when ECS keeps it
   * (epoch ms), how many live tasks outside `released` the service had once that release was
   * carried out, and when the service was last listed. A later release compares DescribeServices'
   * counts and events with it instead of listing the service, and protects again only what
   * appeared meanwhile, or everything when it nears `until`.
   */
  protection: z.object({ until: z.number(), live: z.number().int().nonnegative(), listedAt: z.number() }).optional(),
  pollSeconds: z.number(),
  result: z.string(),
});
export type Drain = z.infer<typeof drainSchema>;
export type DrainStatus = Drain['status'];

/** DrainWorkers → Draining?: a drain, or nothing to drain (the branch ends). */
export const nothingSchema = z.object({ service: z.string(), status: z.literal('nothing'), result: z.string() });
export type Nothing = z.infer<typeof nothingSchema>;
export const drainWorkersOutputSchema = z.union([nothingSchema, drainSchema]);

/** What every branch ends with: Summarize reads the service and its one-line result. */
export const branchResultSchema = z.object({
  service: z.string(),
  result: z.string().optional(),
  failed: z.boolean().optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type BranchResult = z.infer<typeof branchResultSchema>;

/**
 * ReleaseAfterError's input: whatever the failed state received (the Catch keeps it) plus the
 * error. Only what cleanup needs is read; the rest is the failed state's own payload.
 */
export const failedBranchSchema = z.object({
  service: z.string(),
  cycle: cycleSchema,
  draining: z.array(drainNodeSchema).optional(),
  empty: z.array(drainNodeSchema).optional(),
  released: z.array(drainNodeSchema).optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type FailedBranch = z.infer<typeof failedBranchSchema>;

/** ApplyChanges → Summarize. */
export const summarizeInputSchema = z.object({
  cycle: cycleSchema,
  holds: z.array(holdSchema),
  recovered: z.array(z.string()).optional(),
  results: z.array(branchResultSchema.passthrough()),
});
export type SummarizeInput = z.infer<typeof summarizeInputSchema>;
