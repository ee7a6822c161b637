import { z } from 'zod';
import { bytesOf, DRAIN_NODES_BUDGET_BYTES, LINE_MAX, NAMES_SHOWN } from './sizes';

/** At most two lines per service (a dead cycle's leftovers, workers given their queues back). */
export const RECOVERED_LINES = 200;
/** A one-line reason or result: bounded, so no payload grows with what it describes. */
const line = z.string().max(LINE_MAX);
/** A Celery node name, `name@host` (a host name is at most 253 characters). */
const nodeName = z.string().max(300);

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

/**
 * One service as MeasureQueues measured it, in numbers: what ComputePlan's reader and the console
 * need. Per-worker and per-task-name detail (the planner's input) stays in the state store under
 * the execution's name (`HistoryPort.observation`), so this grows with services, not workers.
 */
export const serviceMeasurementSchema = z.object({
  /** Pending messages per queue, summed over its priority sub-lists. */
  queues: z.record(z.number()),
  pending: z.number(),
  /** Active and reserved tasks on the answering workers; scheduled (ETA) ones apart. */
  inFlight: z.number(),
  scheduled: z.number(),
  /** Workers that answered, and how many were expected but did not (a few of them named). */
  workers: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  missingNodes: z.array(z.string().max(LINE_MAX)).max(NAMES_SHOWN),
  ecs: z.object({ desired: z.number(), running: z.number(), pending: z.number(), deploymentInProgress: z.boolean() }).nullable(),
  errors: z.array(z.string().max(LINE_MAX)).max(NAMES_SHOWN),
});
export type ServiceMeasurement = z.infer<typeof serviceMeasurementSchema>;

/** MeasureQueues → ComputePlan. */
export const measurementSchema = z.object({
  cycle: cycleSchema,
  /** The execution input as validated, so ComputePlan applies the same overrides. */
  input: z.unknown(),
  services: z.record(serviceMeasurementSchema),
  /** What this cycle repaired: a dead cycle's leftovers, workers missing a queue (a line per service and kind). */
  recovered: z.array(z.string().max(LINE_MAX)).max(RECOVERED_LINES).optional(),
});
export type Measurement = z.infer<typeof measurementSchema>;

export const changeSchema = z.object({
  service: z.string(),
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  direction: z.enum(['up', 'down']),
  reason: line,
  /** The throughput the plan used: a drain re-checks its target against new work with it. */
  perWorkerPerMinute: z.number().positive().optional(),
});
export type Change = z.infer<typeof changeSchema>;

const holdSchema = z.object({ service: z.string(), reason: line });

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
export const changeItemSchema = changeSchema.extend({
  cycle: cycleSchema,
  skipCooldown: z.boolean().default(false),
  /** How many branches this cycle's Map runs: their drains share one execution history. */
  branches: z.number().int().positive().default(1),
});
export type ChangeItem = z.infer<typeof changeItemSchema>;

/** CheckCooldown → Allowed? → ScaleUp | DrainWorkers | HeldByCooldown. */
export const cooldownOutputSchema = changeItemSchema.extend({ allowed: z.boolean(), result: line.optional() });
export type CooldownOutput = z.infer<typeof cooldownOutputSchema>;

/** A drained node and the ECS task it runs in (ECS's task calls take a task id where they take an ARN). */
export const drainNodeSchema = z.object({
  node: nodeName,
  taskId: z.string().max(64),
  /** Epoch ms of the first poll at which the node answered that it consumes none of the drained queues. */
  offAt: z.number().int().optional(),
});
export type DrainNode = z.infer<typeof drainNodeSchema>;

const busySchema = z.union([
  z.object({ node: nodeName, active: z.number(), reserved: z.number(), scheduled: z.number(), consuming: z.array(z.string()).optional() }),
  z.object({ node: nodeName, noReply: z.literal(true) }),
]);

/**
 * A drain in progress, from DrainWorkers to ReleaseProtection. Each node moves one way:
 * `draining` → `empty` (CheckDrain saw it hold nothing) → `released` (ScaleDown lowered the
 * desired count for it), or back to its queues (`restored`) on a timeout or an abandon.
 * `status` is what the Choice states route on:
 * - draining / waiting: poll again; release: ScaleDown removes the `empty` nodes;
 * - timedOut / abandoned: RestoreConsumers; stopping: wait for released tasks to stop; done.
 */
export const drainStatusSchema = z.enum(['draining', 'waiting', 'release', 'timedOut', 'abandoned', 'stopping', 'done']);
export const drainSchema = z.object({
  cycle: cycleSchema,
  service: z.string(),
  /** The desired count when the drain began, and the plan's target. */
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  reason: line,
  perWorkerPerMinute: z.number().positive().optional(),
  status: drainStatusSchema,
  draining: z.array(drainNodeSchema),
  empty: z.array(drainNodeSchema),
  released: z.array(drainNodeSchema),
  restored: z.array(nodeName),
  /** The first few nodes still busy, for the console (the result line counts them all). */
  busy: z.array(busySchema).max(NAMES_SHOWN).optional(),
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
  result: line,
}).refine((d) => bytesOf([...d.draining, ...d.empty, ...d.released]) <= DRAIN_NODES_BUDGET_BYTES, { message: `a drain's nodes must fit ${DRAIN_NODES_BUDGET_BYTES} bytes` });
export type Drain = z.infer<typeof drainSchema>;
export type DrainStatus = Drain['status'];

/** DrainWorkers → Draining?: a drain, or nothing to drain (the branch ends). */
export const nothingSchema = z.object({ service: z.string(), status: z.literal('nothing'), result: line });
export type Nothing = z.infer<typeof nothingSchema>;
export const drainWorkersOutputSchema = z.union([nothingSchema, drainSchema]);

/** What every branch ends with: Summarize reads the service and its one-line result. */
export const branchResultSchema = z.object({
  service: z.string(),
  result: line.optional(),
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
  recovered: z.array(line).max(RECOVERED_LINES).optional(),
  results: z.array(branchResultSchema.passthrough()),
});
export type SummarizeInput = z.infer<typeof summarizeInputSchema>;
