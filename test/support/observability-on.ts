// Import first in a test that asserts logs or metrics: Powertools reads these when the step
// modules load, and local/setup.ts (loaded by test/support/setup.ts) turns both off for every other test.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

/** Everything written to stdout and stderr while `fn` runs (still passed through when DEBUG is set). */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const tap = (sink: string[], real: typeof realOut) => ((chunk: unknown, ...rest: unknown[]) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return process.env.DEBUG ? (real as (...a: unknown[]) => boolean)(chunk, ...rest) : true;
  }) as typeof realOut;
  process.stdout.write = tap(out, realOut);
  process.stderr.write = tap(err, realErr);
  try {
    const result = await fn();
    return { result, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
}

/** The JSON lines of captured output: Powertools log records and EMF metric documents. */
export function jsonLines(text: string): Record<string, any>[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
}

/** EMF documents for one metric name: `{ value, dims }`. */
export function emfValues(lines: Record<string, any>[], name: string): { value: number; dims: Record<string, string> }[] {
  return lines
    .filter((l) => l._aws?.CloudWatchMetrics?.some((d: { Metrics: { Name: string }[] }) => d.Metrics.some((m) => m.Name === name)))
    .map((l) => {
      const dimNames: string[] = l._aws.CloudWatchMetrics[0].Dimensions.flat();
      return { value: l[name] as number, dims: Object.fromEntries(dimNames.map((d) => [d, l[d] as string])) };
    });
}
