import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { freePort, spawnTracked, stopProcess, waitFor } from './processes';

/** How clients must reach the server: an ACL user (or `requirepass` with no user), TLS. */
export interface RedisSecurity {
  /** An ACL user with every permission; the default user is switched off. */
  user?: string;
  password?: string;
  /** Served on the TLS port only, `rediss://localhost:…` (the cert is made for localhost). */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** A raw PING: no client library timers left behind while the server boots. NOAUTH also means up. */
function pingOnce(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const sock: Socket = tls ? connectTls({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect(port, '127.0.0.1');
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once(tls ? 'secureConnect' : 'connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

function securityArgs(s: RedisSecurity, port: number): string[] {
  const args: string[] = [];
  if (s.user && s.password) args.push('--user', 'default', 'off', '--user', s.user, 'on', `>${s.password}`, '~*', '&*', '+@all');
  else if (s.password) args.push('--requirepass', s.password);
  if (s.tls) args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', s.tls.certFile, '--tls-key-file', s.tls.keyFile, '--tls-ca-cert-file', s.tls.caFile, '--tls-auth-clients', 'no');
  else args.push('--port', String(port));
  return args;
}

/** A throwaway redis-server on a free port, no persistence, stopped by PID. */
export class RedisServer {
  private child: ChildProcess | null = null;
  /** With a directory, data survives a restart (AOF, fsync always), like a real broker. */
  private constructor(readonly port: number, private readonly dataDir?: string, private readonly security: RedisSecurity = {}) {}

  get url(): string {
    const s = this.security;
    const auth = s.password ? `${encodeURIComponent(s.user ?? '')}:${encodeURIComponent(s.password)}@` : '';
    return s.tls ? `rediss://${auth}localhost:${this.port}/0` : `redis://${auth}127.0.0.1:${this.port}/0`;
  }

  static async start(port?: number, dataDir?: string, security?: RedisSecurity): Promise<RedisServer> {
    const srv = new RedisServer(port ?? (await freePort()), dataDir, security);
    await srv.restart();
    return srv;
  }

  /** Starts (again) on the same port: for tests where Redis goes away mid-cycle. */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    const persistence = this.dataDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dataDir] : ['--appendonly', 'no'];
    this.child = spawnTracked('redis-server', [...securityArgs(this.security, this.port), '--bind', '127.0.0.1', '-::1', '--save', '', ...persistence, '--daemonize', 'no'], { stdio: 'ignore' });
    await waitFor(`redis-server on port ${this.port}`, () => pingOnce(this.port, !!this.security.tls), 10_000, 25);
  }

  /** Starts again with nothing: a failover that lost its recent writes, or a replaced node. */
  async restartWithoutData(): Promise<void> {
    await this.stop();
    if (this.dataDir) for (const f of readdirSync(this.dataDir)) rmSync(join(this.dataDir, f), { recursive: true, force: true });
    await this.restart();
  }

  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c) await stopProcess(c, 'SIGKILL', 0);
  }
}
