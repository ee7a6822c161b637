import { renewLease } from './lease';
import { clip, named } from './sizes';
import type { Drain } from './payloads';
import { call, type Env, type Step } from './ports';

/** Who gets their queues back: every node not removed (still draining, or emptied but kept). */
export function decide(input: Drain): { output: Drain; restore: string[] } {
  const restore = [...input.draining, ...input.empty].map((d) => d.node);
  const removed = named(input.released.map((d) => d.node)) || 'nobody';
  const why = input.status === 'abandoned' ? input.result : `drain timed out`;
  return {
    output: {
      ...input,
      draining: [],
      empty: [],
      restored: [...input.restored, ...restore],
      status: input.released.length > 0 ? 'stopping' : 'done',
      result: clip(`${why}: queues given back to ${named(restore) || 'none'}; removed ${removed}`),
    },
    restore,
  };
}

/** RestoreConsumers: a drain timed out or was overtaken by new work: `add_consumer` to its nodes. */
export function* restoreConsumers(env: Env, input: Drain): Step<Drain> {
  yield* renewLease(env, input.service, input.cycle.execution);
  const { output, restore } = decide(input);
  if (restore.length > 0) yield* call(env.workers.add(env.config.services[input.service].queues, restore));
  return output;
}
