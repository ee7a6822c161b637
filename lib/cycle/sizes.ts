/**
 * Step Functions fails a state whose input or output is over 256 KiB with
 * `States.DataLimitExceeded`, a terminal error no Catch handles ("Quotas related to state machine
 * executions" and "Error handling in Step Functions", AWS Step Functions Developer Guide). Payloads
 * here are sized by services, never by workers or task names: every list that could grow with the
 * fleet is a count plus a few names, and a drain takes only as many nodes as fit its budget.
 */
import { payloadBytes } from '../sfn-limits';

export { PAYLOAD_LIMIT_BYTES } from '../sfn-limits';
/** What a state may pass on: a quarter of the limit, so 50 services fit with room to spare. */
export const PAYLOAD_BUDGET_BYTES = 64 * 1024;
/** The node list of one drain (the rest of its payload is bounded strings and counts). */
export const DRAIN_NODES_BUDGET_BYTES = 24 * 1024;
/** Names shown in a one-line result before "and N more". */
export const NAMES_SHOWN = 5;
/** A one-line result or reason. */
export const LINE_MAX = 1000;

export const bytesOf = payloadBytes;

/** `a, b, c, d, e and 12 more`: a list a person reads, whatever the fleet's size. */
export function named(names: readonly string[], shown = NAMES_SHOWN): string {
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** A line cut to `max` characters, saying that it was. */
export function clip(text: string, max = LINE_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The longest prefix of `items` whose JSON fits `budget` bytes (at least one item). */
export function fitting<T>(items: readonly T[], budget: number): T[] {
  let used = 2; // []
  let n = 0;
  for (const item of items) {
    used += bytesOf(item) + (n > 0 ? 1 : 0);
    if (used > budget && n > 0) break;
    n += 1;
  }
  return items.slice(0, n);
}
