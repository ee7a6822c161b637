import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { connect } from 'node:net';
import { freePort, spawnTracked, stopProcess, waitFor } from './processes';

/** A raw PING over TCP: no client library timers left behind while the server boots. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/** A throwaway redis-server on a free port, no persistence, stopped by PID. */
export class RedisServer {
  private child: ChildProcess | null = null;
  /** With a directory, data survives a restart (AOF, fsync always), like a real broker. */
  private constructor(readonly port: number, private readonly dataDir?: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  static async start(port?: number, dataDir?: string): Promise<RedisServer> {
    const srv = new RedisServer(port ?? (await freePort()), dataDir);
    await srv.restart();
    return srv;
  }

  /** Starts (again) on the same port: for tests where Redis goes away mid-cycle. */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    const persistence = this.dataDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dataDir] : ['--appendonly', 'no'];
    this.child = spawnTracked('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no'], { stdio: 'ignore' });
    await waitFor(`redis-server on port ${this.port}`, () => pingOnce(this.port), 10_000, 25);
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
