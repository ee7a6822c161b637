/**
 * What the ECS API allows, and how wide a branch may go.
 *
 * Batch sizes are the API's own (ECS API Reference: `UpdateTaskProtection` takes up to 10 tasks,
 * `DescribeTasks` up to 100, `ListTasks` pages of up to 100); a larger request is refused with
 * `InvalidParameterException`.
 *
 * Rates: ECS throttles every API per account and Region with token buckets, one per family of
 * actions: a bucket's capacity is the burst rate, its refill the sustained rate ("Request
 * throttling for the Amazon ECS API", Amazon ECS API Reference,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). We take
 * the page's own example bucket, 50 tokens (cluster reads), as the smallest burst of any family
 * we call (task protection, task reads, service reads, service updates).
 */
export const PROTECT_BATCH = 10;
export const DESCRIBE_BATCH = 100;
export const LIST_PAGE = 100;

/** The smallest burst (bucket capacity) of the ECS action families the cycle calls. */
export const ECS_BURST_TOKENS = 50;

/** At most this many services' branches run at once (the ASL's ApplyChanges Map, `MaxConcurrency`). */
export const MAP_MAX_CONCURRENCY = 40;

/**
 * How many ECS calls one branch (one Lambda) keeps in flight: every branch that may run at once
 * doing the same, their calls must fit one bucket's burst. A branch per configured service at
 * most (one lock per service), and never more than the Map runs: with 40 branches, 50 / 40 = 1
 * call at a time; with 3 services, 16.
 */
export function ecsConcurrency(services: number, burst = ECS_BURST_TOKENS, mapMax = MAP_MAX_CONCURRENCY): number {
  const branches = Math.max(1, Math.min(services, mapMax));
  return Math.max(1, Math.floor(burst / branches));
}

/** The width when nothing says how many services there are: every Map branch at once. */
export const ECS_CONCURRENCY = ecsConcurrency(MAP_MAX_CONCURRENCY);

/** Runs `fn` over `items` with at most `width` in flight; results in input order; the first failure rejects. */
export async function pool<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return out;
}
