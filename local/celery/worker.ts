import { execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { AmqpConnection } from '../../lib/amqp/connection';
import { AmqpControl } from '../../lib/amqp/control';
import { CeleryControl } from '../../lib/celery/control';
import { dbOfUrl } from '../../lib/config/broker-db';
import { spawnTracked, stopProcess, waitFor } from '../processes';

// This folder from the sources; from the CLI's bundle (dist/cli.js), local/celery beside dist/.
export const FIXTURE_DIR = existsSync(join(__dirname, 'tasks.py')) ? __dirname : join(__dirname, '..', 'local', 'celery');

/**
 * The Python path of everything that runs Celery here (workers, the benchmark's Celery CLI):
 * `CELERY_PYTHONPATH` first when it is set — another Celery's pure-Python sources, e.g. a newer
 * release line than Debian's python3-celery, with its kombu — then the fixture app. Its entries
 * are made absolute against the current directory, since Celery runs in the fixture folder.
 */
export function celeryPythonPath(env: NodeJS.ProcessEnv = process.env): string {
  const extra = (env.CELERY_PYTHONPATH ?? '').split(delimiter).filter(Boolean).map((p) => resolve(p));
  return [...extra, FIXTURE_DIR].join(delimiter);
}

/** What `python3 -m celery --version` prints with that path, e.g. `5.2.6 (dawn-chorus)`; asked once per module instance. */
let version: Promise<string> | undefined;
export function celeryVersion(): Promise<string> {
  version ??= promisify(execFile)('/usr/bin/python3', ['-m', 'celery', '--version'], { cwd: FIXTURE_DIR, env: { ...process.env, PYTHONPATH: celeryPythonPath() } })
    .then((r) => r.stdout.trim(), (e: Error) => `unknown (${e.message.split('\n')[0]})`);
  return version;
}

/** Workers this module instance started (a test file's report says which Celery they ran). */
let started = 0;
export const workersStarted = (): number => started;

export interface WorkerOptions {
  brokerUrl: string;
  queues: string[];
  nodeName: string;
  concurrency?: number;
  pool?: 'prefork' | 'threads' | 'solo';
  prefetch?: number;
  globalKeyprefix?: string;
  /** `-E`: send task events (task-received, task-started, task-succeeded, task-failed). */
  events?: boolean;
  env?: Record<string, string>;
  /** How long to wait for the first `ping` answer. */
  readyTimeoutMs?: number;
}

/** A real Celery worker (Debian's python3-celery, or the one CELERY_PYTHONPATH names) running the fixture app, stopped by PID. */
export class CeleryWorker {
  private stderrTail = '';
  private constructor(readonly node: string, readonly process: ChildProcess) {
    const keep = (d: Buffer) => { this.stderrTail = (this.stderrTail + d.toString()).slice(-4000); };
    process.stderr?.on('data', keep);
    process.stdout?.on('data', keep);
  }

  get pid(): number {
    return this.process.pid as number;
  }

  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  static spawn(o: WorkerOptions): CeleryWorker {
    const args = [
      '-m', 'celery', '-A', 'tasks', 'worker',
      '-Q', o.queues.join(','), '-n', o.nodeName,
      '-c', String(o.concurrency ?? 2), '-P', o.pool ?? 'prefork',
      '--without-heartbeat', '--without-gossip', '--without-mingle', '-l', process.env.CELERY_WORKER_LOG_DIR ? 'INFO' : 'WARNING',
      ...(o.events ? ['-E'] : []),
    ];
    const child = spawnTracked('/usr/bin/python3', args, {
      cwd: FIXTURE_DIR,
      env: {
        ...process.env,
        PYTHONPATH: celeryPythonPath(),
        CELERY_BROKER_URL: o.brokerUrl,
        // celery's `-b` reads BROKER_URL and overrides CELERY_BROKER_URL: never inherit the autoscaler's.
        BROKER_URL: o.brokerUrl,
        CELERY_PREFETCH: String(o.prefetch ?? 1),
        CELERY_GLOBAL_KEYPREFIX: o.globalKeyprefix ?? '',
        ...o.env,
      },
    });
    started += 1;
    // CELERY_WORKER_LOG_DIR=<dir>: each worker's whole output at INFO in <dir>/<node>.log, to read
    // what a worker received and ran when a test run loses or repeats a task.
    const dir = process.env.CELERY_WORKER_LOG_DIR;
    if (dir) {
      const out = createWriteStream(join(dir, `${o.nodeName}.log`), { flags: 'a' });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    return new CeleryWorker(o.nodeName, child);
  }

  /** Spawns the worker and waits until it answers `ping` over the broker. */
  static async start(o: WorkerOptions): Promise<CeleryWorker> {
    const w = CeleryWorker.spawn(o);
    await w.ready(o);
    return w;
  }

  async ready(o: Pick<WorkerOptions, 'brokerUrl' | 'globalKeyprefix' | 'readyTimeoutMs'>): Promise<void> {
    // Over the worker's own broker: RabbitMQ (amqp://, pyamqp://, amqps://) or Redis.
    const amqp = /^(py)?amqps?:/.test(o.brokerUrl) ? new AmqpConnection(o.brokerUrl, { connectTimeoutMs: 2000 }) : null;
    const redis = amqp ? null : new Redis(o.brokerUrl, { maxRetriesPerRequest: 1 });
    const control = amqp
      ? new AmqpControl(amqp, { controlTimeoutMs: 300, connectTimeoutMs: 2000 })
      : new CeleryControl(redis as Redis, { db: dbOfUrl(o.brokerUrl) ?? 0, globalKeyprefix: o.globalKeyprefix ?? '', controlTimeoutMs: 300, connectTimeoutMs: 2000 });
    try {
      await waitFor(`worker ${this.node} to answer ping`, async () => {
        if (this.exited) throw new Error(`worker ${this.node} exited: ${this.stderrTail}`);
        const r = await control.ping({ destination: [this.node], timeoutMs: 300 });
        return this.node in r.replies;
      }, o.readyTimeoutMs ?? 30_000, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- worker output ---\n${this.stderrTail}`);
    } finally {
      control.close();
      redis?.disconnect();
      await amqp?.close();
    }
  }

  /** SIGTERM is Celery's warm shutdown: running tasks finish, unacked messages go back. */
  stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<void> {
    return stopProcess(this.process, signal, graceMs);
  }

  /**
   * A signal to the worker and its pool processes, as a container's processes all get it:
   * SIGSTOP freezes it (stuck in C code, cut off), SIGCONT resumes it, SIGKILL leaves no child running a task.
   */
  signal(signal: NodeJS.Signals): void {
    for (const pid of [this.pid, ...childPids(this.pid)]) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
  }

  /** Resolves once the worker's main process has exited (at once if it already has). */
  whenExited(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => this.process.once('exit', () => resolve()));
  }

  /** True when the worker and every pool process are stopped (state T in /proc), as after SIGSTOP lands. */
  isFrozen(): boolean {
    return [this.pid, ...childPids(this.pid)].every((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return /^[Tt]/.test(stat.slice(stat.lastIndexOf(')') + 2));
      } catch {
        return true; // gone
      }
    });
  }

  output(): string {
    return this.stderrTail;
  }
}

/** The pool processes of a prefork worker: /proc entries whose parent is `pid`. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name, is the parent pid.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

export const fixturePath = (...p: string[]): string => join(FIXTURE_DIR, ...p);
