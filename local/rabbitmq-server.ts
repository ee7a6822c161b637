import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnTracked, stopProcess, waitFor } from './processes';

/**
 * Debian's scripts, not /usr/sbin's wrapper: that one switches to the `rabbitmq` user and writes
 * its logs under /var/log/rabbitmq; these run as the current user with the environment given.
 */
const SBIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin' : '/usr/sbin';
const EPMD = ['/usr/bin/epmd', '/usr/lib/erlang/bin/epmd'].find((p) => existsSync(p)) ?? 'epmd';

/** A boot on two busy cores took 8–20 s here: generous, bounded, and said when it runs out. */
const START_TIMEOUT_MS = 90_000;

export interface RabbitMqOptions {
  /** How long to wait for the AMQP port (default 90 s). */
  startTimeoutMs?: number;
  /** Also an amqps:// listener on `tlsPort` with this certificate (no client certificate asked). */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/**
 * A throwaway RabbitMQ node: its own node name, AMQP and distribution ports, data, log and config
 * in a temp dir, its own HOME (so its own Erlang cookie) and its own epmd on a free port
 * (ERL_EPMD_PORT), so nothing is shared with a system node (rabbit@localhost on 5672 / epmd 4369).
 * No plugins. Stopped by PID: the node (the rabbitmq-server script execs erl, so its PID is
 * beam.smp's), then the epmd this started. `guest` may log in over 127.0.0.1.
 */
export class RabbitMqServer {
  private node: ChildProcess | null = null;
  private epmd: ChildProcess | null = null;
  /** The node answers AMQP: booted, and not shut down since. */
  get isUp(): boolean {
    return this.up;
  }
  private up = false;
  /** Set by stop(): a boot still under way gives up and kills what it started. */
  private stopped = false;
  private output = '';
  /** How long the last start took, in ms, until the AMQP port answered a protocol header. */
  startedInMs = 0;

  private constructor(readonly port: number, readonly distPort: number, readonly epmdPort: number, readonly dir: string, readonly nodeName: string, readonly tlsPort: number | null, private readonly tls?: RabbitMqOptions['tls']) {}

  url(user = 'guest', password = 'guest', vhost = '/'): string {
    return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${encodeURIComponent(vhost)}`;
  }

  /** The amqps:// URL of the TLS listener, by the certificate's name `localhost`. */
  tlsUrl(user = 'guest', password = 'guest'): string {
    if (this.tlsPort === null) throw new Error('started without tls');
    return `amqps://${encodeURIComponent(user)}:${encodeURIComponent(password)}@localhost:${this.tlsPort}/`;
  }

  /** The URL as a Celery worker takes it (kombu's pyamqp transport). */
  celeryUrl(user = 'guest', password = 'guest', vhost = '/'): string {
    return this.url(user, password, vhost).replace(/^amqp:/, 'pyamqp:');
  }

  static async start(opts: RabbitMqOptions = {}): Promise<RabbitMqServer> {
    const [port, distPort, epmdPort, tlsPort] = await distinctFreePorts(4);
    const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-'));
    const srv = new RabbitMqServer(port, distPort, epmdPort, dir, `test${port}@localhost`, opts.tls ? tlsPort : null, opts.tls);
    try {
      await srv.boot(opts.startTimeoutMs ?? START_TIMEOUT_MS);
    } catch (e) {
      await srv.stop();
      throw e;
    }
    return srv;
  }

  /** Environment shared by the server and rabbitmqctl: the same node, cookie, epmd and config. */
  private env(): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: join(d, 'home'),
      ERL_EPMD_PORT: String(this.epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      // An empty env file instead of /etc/rabbitmq/rabbitmq-env.conf (the system node's NODENAME).
      RABBITMQ_CONF_ENV_FILE: join(d, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(d, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(d, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(d, 'enabled_plugins'),
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: join(d, 'log'),
      RABBITMQ_LOGS: '-',
      // rabbitmq-server then execs erl in the foreground (no signal-forwarding shell in between),
      // so the PID spawned is the node's own; -noinput keeps the Erlang shell off.
      RABBITMQ_ALLOW_INPUT: '1',
      // -start_epmd false: only the epmd started here, by PID, ever runs (a node that finds none on
      // its port would start a daemon no one stops; so would rabbitmqctl, which ctl() runs only while up).
      RABBITMQ_SERVER_START_ARGS: '-noinput -start_epmd false',
    };
  }

  private async boot(timeoutMs: number): Promise<void> {
    const d = this.dir;
    for (const sub of ['home', 'mnesia', 'log']) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(join(d, 'rabbitmq-env.conf'), '');
    const conf = [`listeners.tcp.1 = 127.0.0.1:${this.port}`, 'loopback_users.guest = true'];
    if (this.tls) {
      conf.push(`listeners.ssl.1 = 127.0.0.1:${this.tlsPort}`, `ssl_options.cacertfile = ${this.tls.caFile}`, `ssl_options.certfile = ${this.tls.certFile}`,
        `ssl_options.keyfile = ${this.tls.keyFile}`, 'ssl_options.verify = verify_none', 'ssl_options.fail_if_no_peer_cert = false');
    }
    writeFileSync(join(d, 'rabbitmq.conf'), [...conf, ''].join('\n'));
    writeFileSync(join(d, 'advanced.config'), '[].\n');
    writeFileSync(join(d, 'enabled_plugins'), '[].\n');
    const started = Date.now();
    this.epmd = spawnTracked(EPMD, ['-port', String(this.epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore', env: this.env() });
    await waitFor(`epmd on port ${this.epmdPort}`, () => tcpOpen(this.epmdPort), 10_000, 25);
    if (this.stopped) return this.abandonBoot(null);
    const node = spawnTracked(`${SBIN}/rabbitmq-server`, [], { env: this.env(), cwd: d });
    this.node = node;
    const keep = (b: Buffer) => { this.output = (this.output + b.toString()).slice(-6000); };
    node.stdout?.on('data', keep);
    node.stderr?.on('data', keep);
    try {
      await waitFor(`RabbitMQ node ${this.nodeName} on port ${this.port}`, async () => {
        if (node.exitCode !== null || node.signalCode !== null) throw new Error(`rabbitmq-server exited (${node.exitCode ?? node.signalCode})`);
        return (await amqpAnswers(this.port)) && (this.tlsPort === null || (await tcpOpen(this.tlsPort)));
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- rabbitmq-server output (last lines) ---\n${this.output.split('\n').slice(-25).join('\n')}`);
    }
    this.startedInMs = Date.now() - started;
    if (this.stopped) return this.abandonBoot(node);
    this.up = true;
  }

  /** stop() ran while a boot was under way: kill what the boot started after it, by PID, and fail the boot. */
  private async abandonBoot(node: ChildProcess | null): Promise<never> {
    const epmd = this.epmd;
    this.node = null;
    this.epmd = null;
    if (node) await stopProcess(node, 'SIGKILL', 0);
    if (epmd) await stopProcess(epmd, 'SIGKILL', 0);
    throw new Error(`RabbitMQ node ${this.nodeName} was stopped while it booted`);
  }

  /**
   * Stops the node (SIGTERM: RabbitMQ shuts down cleanly, its durable queues and persistent messages
   * kept) and starts it again on the same ports and data: a broker restart under running clients.
   */
  async restart(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    await this.shutdown();
    await this.boot(timeoutMs);
  }

  /** Stops the node cleanly (SIGTERM; its durable queues and persistent messages kept), then its epmd; `startAgain` boots it on the same ports and data. */
  async shutdown(): Promise<void> {
    this.up = false;
    const node = this.node;
    this.node = null;
    if (node) await stopProcess(node, 'SIGTERM', 30_000);
    const epmd = this.epmd;
    this.epmd = null;
    if (epmd) await stopProcess(epmd, 'SIGKILL', 0);
  }

  /** Starts a node stopped by `shutdown` on the same ports and data. */
  async startAgain(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (this.node) throw new Error(`RabbitMQ node ${this.nodeName} is already running`);
    await this.boot(timeoutMs);
  }

  /** rabbitmqctl against this node only (same HOME for the cookie, same epmd). */
  async ctl(...args: string[]): Promise<string> {
    if (!this.up) throw new Error(`rabbitmqctl ${args[0] ?? ''}: the node ${this.nodeName} is not up`);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const r = await promisify(execFile)(`${SBIN}/rabbitmqctl`, ['-n', this.nodeName, ...args], { env: this.env(), cwd: this.dir, timeout: 60_000 });
        return r.stdout;
      } catch (e) {
        // On two busy cores the CLI's own Erlang node sometimes fails to reach a node that is up
        // ("unable to perform an operation", diagnostics: "node … up, 'rabbit' application running"): ask again.
        if (attempt >= 3 || !/unable to perform an operation on node/.test(String((e as Error).message))) throw e;
      }
    }
  }

  /** A user with these permission patterns on the vhost (rabbitmqctl: configure, write, read regexps). */
  async addUser(user: string, password: string, perms: { configure: string; write: string; read: string }, vhost = '/'): Promise<void> {
    await this.ctl('add_user', user, password);
    await this.ctl('set_permissions', '-p', vhost, user, perms.configure, perms.write, perms.read);
  }

  /** `rabbitmqctl list_queues name <columns…>` as rows keyed by queue name. */
  async listQueues(...columns: string[]): Promise<Record<string, string[]>> {
    const out = await this.ctl('list_queues', '-q', '--no-table-headers', 'name', ...columns);
    const rows: Record<string, string[]> = {};
    for (const line of out.split('\n').filter((l) => l.trim())) {
      const [name, ...rest] = line.split('\t');
      rows[name] = rest;
    }
    return rows;
  }

  /** Kills the node (SIGKILL: its data is thrown away anyway), then its epmd, by PID; removes the temp dir. */
  async stop(): Promise<void> {
    this.up = false;
    this.stopped = true;
    const node = this.node;
    const epmd = this.epmd;
    this.node = null;
    this.epmd = null;
    // Erlang's helpers (erl_child_setup, inet_gethost) end with the node.
    if (node) await stopProcess(node, 'SIGKILL', 0);
    if (epmd) await stopProcess(epmd, 'SIGKILL', 0);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The AMQP 0-9-1 protocol header answered by connection.start (a method frame, type 1): the broker is up. */
function amqpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(2000, () => done(false));
    s.once('error', () => done(false));
    s.once('close', () => done(false));
    s.once('connect', () => s.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])));
    s.once('data', (d: Buffer) => done(d[0] === 1));
  });
}
