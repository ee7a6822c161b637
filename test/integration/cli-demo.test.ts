import { readdirSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnTracked, stopProcess, waitFor } from '../../local/processes';
import { runScenario } from '../../local/scenario';

const exec = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');

/** Every process below `pid` right now (redis-server, Celery workers and their pool children). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) { out.push(child); walk(child); }
  };
  walk(pid);
  return out;
}

/** Running, not a zombie waiting to be reaped (it holds no resources any more). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('npm start (the demo)', () => {
  test('Ctrl-C stops every process it started: redis-server, the Celery workers and their pools', async () => {
    const demo = spawnTracked(process.execPath, [BIN, 'demo', '--short', '60', '--long', '2', '--cycle-seconds', '2']);
    let out = '';
    demo.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    demo.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await waitFor('the demo to print its first cycle', () => /#\s+1 /.test(out), 60_000, 100);
      // It says where its broker is, and the measure and plan lines it prints work as printed.
      expect(out).toMatch(/^broker: redis:\/\/127\.0\.0\.1:\d+\/0$/m);
      const lines = out.split('\n').filter((l) => l.startsWith('  npx celery-autoscaler ')).map((l) => l.trim().split(' ').slice(2));
      expect(lines.map((a) => a[0])).toEqual(['measure', 'plan']);
      for (const args of lines) {
        const { services } = JSON.parse((await exec(process.execPath, [BIN, ...args, '--json'])).stdout);
        // measure: by service name; plan: a row per service.
        expect(Array.isArray(services) ? services.map((x: { service: string }) => x.service) : Object.keys(services)).toEqual(['fast', 'reports']);
      }
      const started = await waitFor('workers to be running', () => {
        const pids = descendants(demo.pid as number);
        const cmdlines = pids.map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } });
        return cmdlines.some((c) => c.includes('redis-server')) && cmdlines.some((c) => c.includes('celery')) ? pids : null;
      }, 60_000, 200);
      const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
      process.kill(demo.pid as number, 'SIGINT');
      expect(await exited).toBe(130);
      expect(out).toContain('interrupted: stopping everything the demo started');
      await waitFor('every process the demo started to be gone', () => started.every((p) => !alive(p)), 15_000, 100);
    } finally {
      await stopProcess(demo, 'SIGKILL', 0);
    }
  }, 120_000);

  test('--broker rabbitmq: the demo on a RabbitMQ node of its own, its measure and plan lines work as printed, nothing lost or run twice', async () => {
    const demo = spawnTracked(process.execPath, [BIN, 'demo', '--broker', 'rabbitmq', '--short', '200', '--long', '4', '--cycle-seconds', '2', '--max-seconds', '150']);
    let out = '';
    demo.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    demo.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the demo to print its first cycle', () => /#\s+1 /.test(out), 120_000, 100);
      // The autoscaler's own least-privilege user on the node's vhost `/`.
      expect(out).toMatch(/^broker: amqp:\/\/autoscaler:[^@]+@127\.0\.0\.1:\d+\/%2F$/m);
      // plan reads its history from the demo's DynamoDB API: the line says where, in front of the command.
      const lines = out.split('\n').filter((l) => / npx celery-autoscaler /.test(l)).map((l) => {
        const [env, cmd] = l.trim().split(/\s*npx celery-autoscaler\s+/);
        return { env: Object.fromEntries(env ? env.split(' ').map((kv) => kv.split('=', 2)) : []), args: cmd.split(' ') };
      });
      expect(lines.map((a) => [a.args[0], Object.keys(a.env)])).toEqual([['measure', []], ['plan', ['DYNAMODB_ENDPOINT']]]);
      for (const { env, args } of lines) {
        const { services } = JSON.parse((await exec(process.execPath, [BIN, ...args, '--json'], { env: { ...process.env, ...env } })).stdout);
        expect(Array.isArray(services) ? services.map((x: { service: string }) => x.service) : Object.keys(services)).toEqual(['fast', 'reports']);
      }
      expect(await exited).toBe(0);
      expect(out).toMatch(/^ {2}tasks sent 204, completed 204, lost 0, run twice 0$/m);
      expect(out).toMatch(/^ {2}tasks stopped by ECS without a drain 0$/m);
      expect(out).toMatch(/drained scale-downs [1-9]/);
      expect(out).toMatch(/back at the minimum fleet \d+ s after the last task finished/);
    } finally {
      await stopProcess(demo, 'SIGKILL', 0);
    }
  }, 240_000);

  test('--broker rabbitmq: Ctrl-C stops the RabbitMQ node (beam.smp, epmd) with the rest', async () => {
    const demo = spawnTracked(process.execPath, [BIN, 'demo', '--broker', 'rabbitmq', '--short', '3000', '--long', '2', '--cycle-seconds', '2']);
    let out = '';
    demo.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    demo.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await waitFor('the demo to print its first cycle', () => /#\s+1 /.test(out), 120_000, 100);
      const started = await waitFor('the node and workers to be running', () => {
        const pids = descendants(demo.pid as number);
        const cmdlines = pids.map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } });
        return ['beam.smp', 'epmd', 'celery', 'redis-server'].every((name) => cmdlines.some((c) => c.includes(name))) ? pids : null;
      }, 60_000, 200);
      const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
      process.kill(demo.pid as number, 'SIGINT');
      expect(await exited).toBe(130);
      await waitFor('every process the demo started to be gone', () => started.every((p) => !alive(p)), 30_000, 100);
    } finally {
      await stopProcess(demo, 'SIGKILL', 0);
    }
  }, 180_000);

  test('a cycle held back by a worker that does not answer names it, not "no change"', async () => {
    // Two solo-pool workers, a long task each: a worker running a task cannot answer remote control.
    const lines: string[] = [];
    await runScenario({
      name: 'silent worker',
      stack: {
        services: { web: { queues: ['q1'], minWorkers: 0, maxWorkers: 2, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0, stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, initialDesired: 2 } },
        pool: 'solo', concurrency: 1, stopGraceMs: 2000,
      },
      workload: [{ queue: 'q1', prefix: 'long-s', count: 2, seconds: () => 6 }],
      cycleSeconds: 1,
      maxSeconds: 40,
    }, (l) => lines.push(l));
    expect(lines).toContainEqual(expect.stringMatching(/\| web: no scale-down: [12] worker\(s\) did not answer \(task \w+ \(no worker answered\)/));
  }, 120_000);
});
