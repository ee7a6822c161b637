import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort, spawnTracked, stopProcess, waitFor } from './processes';

/** A throwaway redis-server on a free port, no persistence, stopped by PID. */
export class RedisServer {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  static async start(port?: number): Promise<RedisServer> {
    const srv = new RedisServer(port ?? (await freePort()));
    await srv.restart();
    return srv;
  }

  /** Starts (again) on the same port: for tests where Redis goes away mid-cycle. */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    this.child = spawnTracked('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    try {
      await waitFor(`redis-server on port ${this.port}`, async () => {
        if (probe.status !== 'ready') {
          probe.disconnect();
          await probe.connect();
        }
        return (await probe.ping()) === 'PONG';
      }, 10_000, 25);
    } finally {
      probe.disconnect();
    }
  }

  client(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c) await stopProcess(c, 'SIGKILL', 0);
  }
}
