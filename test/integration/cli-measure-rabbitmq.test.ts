import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AmqpConnection } from '../../lib/amqp/connection';
import { rabbitmqPermissions } from '../../lib/amqp/permissions';
import { publishAmqpTasks } from '../../lib/amqp/publish';
import { celeryPythonPath, CeleryWorker, FIXTURE_DIR } from '../../local/celery/worker';
import { waitFor } from '../../local/processes';
import { RabbitMqServer } from '../../local/rabbitmq-server';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');

/** The rabbitmqctl calls of the runbook's "A least-privilege RabbitMQ user" block, as bash parses them, with $PASSWORD set. */
async function runbookRabbitmqctlCalls(password: string): Promise<string[][]> {
  const runbook = readFileSync(join(__dirname, '..', '..', 'docs', 'runbook.md'), 'utf8');
  const block = /## A least-privilege RabbitMQ user\n[\s\S]*?```bash\n([\s\S]*?)```/.exec(runbook)?.[1] ?? '';
  // A shell function in place of rabbitmqctl prints each call's words NUL-separated, a \x01 after the last.
  const { stdout } = await run('bash', ['-c', `rabbitmqctl() { printf '%s\\0' "$@"; printf '\\001\\0'; }\n${block}`], { env: { ...process.env, PASSWORD: password } });
  const calls: string[][] = [];
  let words: string[] = [];
  for (const w of stdout.split('\0').slice(0, -1)) {
    if (w === '\x01') { calls.push(words); words = []; } else words.push(w);
  }
  expect(calls.map((c) => c[0])).toEqual(['add_user', 'set_permissions']);
  return calls;
}

interface MeasuredNode { node: string; active: number; reserved: number; scheduled: number; processed: number | null; concurrency: number | null }

// `measure` on RabbitMQ must say what RabbitMQ and Celery say themselves: each queue's ready
// messages as `rabbitmqctl list_queues name messages_ready` counts them, and each worker's active,
// reserved and scheduled tasks and processed total as `celery inspect` reports them. Real node,
// real workers on pyamqp; measure connects as the least-privilege user of lib/amqp/permissions.ts.
describe('celery-autoscaler measure on RabbitMQ', () => {
  let server: RabbitMqServer;
  let workers: CeleryWorker[] = [];
  let dir: string;
  let configPath: string;
  let publisher: AmqpConnection;

  /** Celery's own CLI (the same Celery the workers run), as an operator would ask. */
  const celeryInspect = async (what: string): Promise<Record<string, unknown>> => {
    const { stdout } = await run('/usr/bin/python3', ['-m', 'celery', '-A', 'tasks', 'inspect', what, '--json', '--timeout', '5'], {
      cwd: FIXTURE_DIR, env: { ...process.env, PYTHONPATH: celeryPythonPath(), CELERY_BROKER_URL: server.celeryUrl() },
    });
    return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
  };
  const measure = async (): Promise<{ services: Record<string, { queues: Record<string, number>; nodes: MeasuredNode[] }>; missing: string[]; unanswered: number }> =>
    JSON.parse((await run(process.execPath, [BIN, 'measure', '--config', configPath, '--json'])).stdout);

  beforeAll(async () => {
    server = await RabbitMqServer.start();
    // The user made by docs/runbook.md's lines as a shell reads them (its quoting included), each
    // rabbitmqctl call then sent to this node; it ends with exactly lib/amqp/permissions.ts's patterns.
    for (const args of await runbookRabbitmqctlCalls('measure-pw')) await server.ctl(...args);
    expect((await server.ctl('list_user_permissions', '-q', '--no-table-headers', 'autoscaler')).trim().split('\t'))
      .toEqual(['/', ...Object.values(rabbitmqPermissions())]);
    dir = mkdtempSync(join(tmpdir(), 'measure-rmq-'));
    configPath = join(dir, 'config.yml');
    writeFileSync(configPath, [
      `broker: { url: "${server.url('autoscaler', 'measure-pw')}", transport: amqp }`,
      'services:',
      '  mail: { cluster: c, service: s, queues: [emails, bulk], maxWorkers: 5, tasksPerWorkerPerMinute: 10 }',
      '  reports: { cluster: c, service: r, queues: [reports], maxWorkers: 2, tasksPerWorkerPerMinute: 1 }',
    ].join('\n'));
    // Two workers on `emails` (one slot each, prefetch 1), none on `bulk`, one on `reports`.
    workers = await Promise.all([
      CeleryWorker.start({ brokerUrl: server.celeryUrl(), queues: ['emails'], nodeName: 'm1@test', concurrency: 1, prefetch: 1, readyTimeoutMs: 60_000 }),
      CeleryWorker.start({ brokerUrl: server.celeryUrl(), queues: ['emails'], nodeName: 'm2@test', concurrency: 1, prefetch: 1, readyTimeoutMs: 60_000 }),
      CeleryWorker.start({ brokerUrl: server.celeryUrl(), queues: ['reports'], nodeName: 'r1@test', concurrency: 2, prefetch: 1, readyTimeoutMs: 60_000 }),
    ]);
    publisher = new AmqpConnection(server.url(), { connectTimeoutMs: 5000 });
    const ch = await (await publisher.get()).createChannel();
    await ch.assertQueue('bulk', { durable: true });
    await ch.close();
    // A quick task the reports worker finishes (processed 1), then tasks that outlast the test.
    await publishAmqpTasks(publisher, 'reports', [{ task: 'tasks.sleep_task', args: [0] }]);
    await waitFor('the quick task done', async () => JSON.stringify(await celeryInspect('stats')).includes('"tasks.sleep_task":1'), 60_000, 500);
    await publishAmqpTasks(publisher, 'emails', Array.from({ length: 9 }, () => ({ task: 'tasks.sleep_task', args: [300] })));
    await publishAmqpTasks(publisher, 'bulk', Array.from({ length: 4 }, () => ({ task: 'tasks.sleep_task', args: [300] })));
    await publishAmqpTasks(publisher, 'reports', [{ task: 'tasks.sleep_task', args: [300] }]);
    // Settled: each emails worker runs one and holds one more; the reports worker runs one.
    await waitFor('the workers to take what they will', async () => (await server.listQueues('messages_ready')).emails?.[0] === '5', 60_000, 500);
  }, 240_000);
  afterAll(async () => {
    await publisher?.close();
    await Promise.all(workers.map((w) => w.stop('SIGKILL', 0)));
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('pending per queue is rabbitmqctl\'s messages_ready; each node\'s counts are celery inspect\'s', async () => {
    const m = await measure();
    const ready = await server.listQueues('messages_ready');
    const [active, reserved, scheduled, stats] = await Promise.all(['active', 'reserved', 'scheduled', 'stats'].map((w) => celeryInspect(w)));
    const fromRabbit = (queues: string[]) => Object.fromEntries(queues.map((q) => [q, Number(ready[q]?.[0])]));
    expect(m.services.mail.queues).toEqual(fromRabbit(['emails', 'bulk']));
    expect(m.services.reports.queues).toEqual(fromRabbit(['reports']));
    // What is there, so the comparison is not between two zeros: 9 − 2 × (1 running + 1 prefetched).
    expect(m.services.mail.queues).toEqual({ emails: 5, bulk: 4 });
    expect(m.services.reports.queues).toEqual({ reports: 0 });

    const len = (r: Record<string, unknown>, node: string) => (r[node] as unknown[]).length;
    const processed = (node: string) => Object.values((stats[node] as { total: Record<string, number> }).total).reduce((a, n) => a + n, 0);
    const celerySays = (node: string) => ({
      node, active: len(active, node), reserved: len(reserved, node), scheduled: len(scheduled, node), processed: processed(node),
      concurrency: (stats[node] as { pool: { 'max-concurrency': number } }).pool['max-concurrency'],
    });
    const pick = ({ node, active: a, reserved: r, scheduled: s, processed: p, concurrency: c }: MeasuredNode) => ({ node, active: a, reserved: r, scheduled: s, processed: p, concurrency: c });
    expect(m.services.mail.nodes.map(pick).sort((a, b) => a.node.localeCompare(b.node))).toEqual(['m1@test', 'm2@test'].map(celerySays));
    expect(m.services.reports.nodes.map(pick)).toEqual([celerySays('r1@test')]);
    expect(m.services.mail.nodes.map((n) => [n.active, n.reserved])).toEqual([[1, 1], [1, 1]]);
    expect(m.services.reports.nodes.map((n) => [n.active, n.processed])).toEqual([[1, 2]]);
    expect([m.missing, m.unanswered]).toEqual([[], 0]);
  }, 60_000);
});
