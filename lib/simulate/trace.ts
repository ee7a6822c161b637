import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { AutoscalerError } from '../errors';

/**
 * A workload: tasks with an arrival time, a queue and a duration, all in seconds. The CSV form
 * (`arrival_s,queue,duration_s`) is what a user exports from their own system.
 */
export interface TraceTask {
  arrival: number;
  queue: string;
  duration: number;
}

export interface Trace {
  name: string;
  tasks: TraceTask[];
  /** The window the trace describes (silence included); the simulation runs at least this long. */
  horizonSeconds: number;
}

export const CSV_HEADER = 'arrival_s,queue,duration_s';

/** A CSV row that cannot be read: names the line (1-based) and the column. */
export class TraceFormatError extends AutoscalerError {
  constructor(readonly source: string, readonly line: number, readonly column: string, reason: string) {
    super(`${source} line ${line}, column ${column}: ${reason}`);
  }
}

const QUEUE_NAME = /^[^\s,"]+$/;

function readNumber(cell: string | undefined, source: string, line: number, column: string): number {
  if (cell === undefined || cell.trim() === '') throw new TraceFormatError(source, line, column, 'missing value');
  const x = Number(cell.trim());
  if (!Number.isFinite(x)) throw new TraceFormatError(source, line, column, `"${cell.trim()}" is not a number`);
  if (x < 0) throw new TraceFormatError(source, line, column, `must be ≥ 0 (got ${x})`);
  return x;
}

/** Reads rows one line at a time, so a day of tasks never sits in memory as one string. */
class TraceReader {
  readonly tasks: TraceTask[] = [];
  private line = 0;
  private sorted = true;

  constructor(private readonly source: string) {}

  add(raw: string): void {
    const line = (this.line += 1);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (this.tasks.length === 0 && trimmed.replace(/\s/g, '') === CSV_HEADER) return;
    const { source } = this;
    const cells = raw.split(',');
    if (cells.length !== 3) throw new TraceFormatError(source, line, cells.length < 3 ? ['arrival_s', 'queue', 'duration_s'][cells.length] : `${cells.length}`, `expected 3 columns (${CSV_HEADER}), got ${cells.length}`);
    const arrival = readNumber(cells[0], source, line, 'arrival_s');
    const queue = cells[1].trim();
    if (!QUEUE_NAME.test(queue)) throw new TraceFormatError(source, line, 'queue', queue === '' ? 'missing value' : `"${queue}" is not a queue name`);
    const duration = readNumber(cells[2], source, line, 'duration_s');
    const last = this.tasks[this.tasks.length - 1];
    if (last && arrival < last.arrival) this.sorted = false;
    this.tasks.push({ arrival, queue, duration });
  }

  finish(): TraceTask[] {
    if (this.tasks.length === 0) throw new TraceFormatError(this.source, Math.max(1, this.line), 'arrival_s', 'no tasks in the file');
    return this.sorted ? this.tasks : sortByArrival(this.tasks);
  }
}

/**
 * Parses `arrival_s,queue,duration_s` rows. The header line is optional; blank lines and lines
 * starting with `#` are skipped. Tasks are returned sorted by arrival (stable).
 */
export function parseTraceCsv(text: string, source = 'trace'): TraceTask[] {
  const reader = new TraceReader(source);
  for (const raw of text.split(/\r?\n/)) reader.add(raw);
  return reader.finish();
}

/** The same as parseTraceCsv on a file, streamed in 1 MB chunks (a 1,000,000-task CSV is ~25 MB). */
export function readTraceCsv(path: string): TraceTask[] {
  const reader = new TraceReader(path);
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const lines = (rest + decoder.write(chunk.subarray(0, n))).split(/\r?\n/);
      rest = lines.pop() as string;
      for (const raw of lines) reader.add(raw);
    }
  } finally {
    closeSync(fd);
  }
  reader.add(rest + decoder.end());
  return reader.finish();
}

export function formatTraceCsv(tasks: TraceTask[]): string {
  const n = (x: number) => String(Math.round(x * 1000) / 1000);
  return `${CSV_HEADER}\n${tasks.map((t) => `${n(t.arrival)},${t.queue},${n(t.duration)}`).join('\n')}\n`;
}

export const sortByArrival = (tasks: TraceTask[]): TraceTask[] =>
  tasks.map((t, i) => ({ t, i })).sort((a, b) => a.t.arrival - b.t.arrival || a.i - b.i).map(({ t }) => t);

/** A trace read from a user's file: its window ends when the last task could end at the earliest. */
export function traceFromTasks(name: string, tasks: TraceTask[]): Trace {
  let horizonSeconds = 0;
  for (const t of tasks) horizonSeconds = Math.max(horizonSeconds, t.arrival + t.duration);
  return { name, tasks, horizonSeconds };
}

/** mulberry32: a small seeded PRNG with good spread; the simulator never uses Math.random. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
