import { closeSync, existsSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfigFlag } from '../config-file';
import { brokerUrlFlag, numberFlag, patternFlag } from '../flags';
import { UsageError } from '../usage';

interface RecordOptions {
  minutes: number;
  out: string;
  config?: string;
  brokerUrl?: string;
  globalKeyprefix?: string;
  force?: boolean;
}

/** The config's broker settings; with only a URL (--broker-url or BROKER_URL), the schema's defaults. */
async function brokerOf(o: RecordOptions) {
  const [{ brokerSchema }, { brokerUrl }, { brokerForUrl }] = await Promise.all([import('../../lib/config'), import('../broker'), import('../../lib/broker-url')]);
  const configFile = o.config ?? (o.brokerUrl || process.env.BROKER_URL ? undefined : 'autoscaler.config.yml');
  let url: string;
  let broker;
  if (configFile) {
    const config = loadConfigFlag(configFile);
    url = await brokerUrl(config, o.brokerUrl);
    broker = config.broker;
  } else {
    url = (o.brokerUrl ?? process.env.BROKER_URL) as string;
    broker = brokerSchema.parse({ url });
  }
  if (o.globalKeyprefix !== undefined) broker = { ...broker, globalKeyprefix: o.globalKeyprefix };
  return { url, broker: brokerForUrl(broker, url) };
}

export function register(program: Command): void {
  program
    .command('record')
    .description('record your workload from Celery\'s own events into the simulator\'s CSV (arrival_s,queue,duration_s), for `simulate --trace`')
    .option('-m, --minutes <n>', 'how long to record; Ctrl-C stops earlier and keeps what was recorded', numberFlag({ min: 0, minExclusive: true, max: 7 * 24 * 60 }), 60)
    .option('-o, --out <file>', 'the CSV to write', 'trace.csv')
    .option('-c, --config <file>', 'autoscaler config: its broker (URL, db, global_keyprefix) (default: autoscaler.config.yml unless --broker-url or BROKER_URL)')
    .option('--broker-url <url>', 'broker URL (default: BROKER_URL, the config\'s url, or its SSM parameter)', brokerUrlFlag)
    .option('--global-keyprefix <prefix>', 'Celery\'s broker_transport_options.global_keyprefix, if the config does not say', patternFlag(/^\S{1,200}$/, 'must be 1–200 characters without spaces'))
    .option('-f, --force', 'overwrite --out if it exists')
    .addHelpText('after', `
Needs events from the workers (-E, or worker_send_task_events = True) and, for arrival = when a
task was sent and its queue from the message, task_send_sent_event = True where tasks are sent;
without it arrival is when a worker received the task. The file's first lines (#) say which was
used and what to turn on. Rows are written as tasks finish.

Example:
  npx celery-autoscaler record --minutes 60 --out trace.csv --config autoscaler.config.yml
  npx celery-autoscaler simulate --trace trace.csv --config autoscaler.config.yml`)
    .action(async (o: RecordOptions) => {
      if (existsSync(o.out) && !o.force) throw new UsageError('--out', `${o.out} exists: pass --force to overwrite it`);
      // Before connecting: a place that cannot hold the file is the flag's mistake, said at once.
      let fd: number;
      try {
        fd = openSync(o.out, 'w');
      } catch (e) {
        throw new UsageError('--out', `${o.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      writeSync(fd, `# recording (this line is replaced when the recording ends)\n`);
      const [{ connectBroker }, { CeleryControl }, { listenToEvents }, { TraceRecorder, recordHeader, traceRow }, { redactUrl }, { CSV_HEADER }] = await Promise.all([
        import('../../lib/celery/connection'), import('../../lib/celery/control'), import('../../lib/celery/events'),
        import('../../lib/simulate/recorder'), import('../../lib/broker-url'), import('../../lib/simulate/trace'),
      ]);
      let url: string;
      let broker: Awaited<ReturnType<typeof brokerOf>>['broker'];
      try {
        ({ url, broker } = await brokerOf(o));
      } catch (e) {
        closeSync(fd);
        unlinkSync(o.out); // nothing was recorded
        throw e;
      }
      const redis = connectBroker(broker, url);
      const control = new CeleryControl(redis, broker);
      const startedAt = Date.now() / 1000;
      const recorder = new TraceRecorder(startedAt);
      const where = `${redactUrl(url)}${broker.globalKeyprefix ? ` (global_keyprefix ${broker.globalKeyprefix})` : ''}`;
      writeSync(fd, `${CSV_HEADER}\n`);

      // The queues each worker consumes (active_queues), asked once per worker the first time it is seen.
      const queues = new Map<string, Promise<string[] | undefined>>();
      const known = new Map<string, string[] | undefined>();
      const ask = (host: string) => {
        if (!queues.has(host)) {
          queues.set(host, control.activeQueues({ destination: [host] }).then((r) => r.replies[host]?.map((q) => q.name), () => undefined).then((qs) => {
            known.set(host, qs);
            return qs;
          }));
        }
        return queues.get(host) as Promise<string[] | undefined>;
      };
      // Events are handled in order; a row waits only when its worker's queues are still being asked.
      let chain: Promise<void> = Promise.resolve();
      const onEvent = (e: import('../../lib/celery/events').CeleryEvent) => {
        chain = chain.then(async () => {
          const needsQueues = (e.type === 'task-succeeded' || e.type === 'task-failed' || e.type === 'task-received') && e.hostname;
          if (needsQueues && !known.has(e.hostname as string)) await ask(e.hostname as string);
          const row = recorder.add(e, (h) => known.get(h));
          if (row) writeSync(fd, `${traceRow(row)}\n`);
        });
      };

      const tty = process.stderr.isTTY === true;
      let listener: { close(): void } | null = null;
      let timer: NodeJS.Timeout | undefined;
      let ticker: NodeJS.Timeout | undefined;
      const stopped = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`${o.minutes} min recorded`), o.minutes * 60_000);
        process.once('SIGINT', () => resolve('stopped by Ctrl-C'));
        process.once('SIGTERM', () => resolve('stopped'));
      });
      const status = () => `${String(Math.round(Date.now() / 1000 - startedAt)).padStart(5)} s  tasks seen ${recorder.tasksSeen}, recorded ${recorder.counts.recorded}`;
      try {
        listener = await listenToEvents(redis, broker, onEvent);
        process.stderr.write(`recording Celery events from ${where} into ${o.out} for ${o.minutes} min (Ctrl-C stops and keeps what was recorded)\n`);
        if (tty) ticker = setInterval(() => process.stderr.write(`\r\x1b[2K${status()}`), 1000);
        const why = await stopped;
        listener.close();
        listener = null;
        await chain;
        if (tty) process.stderr.write('\r\x1b[2K');
        process.stderr.write(`${why}: ${status().trim()}\n`);
      } finally {
        clearTimeout(timer);
        clearInterval(ticker);
        listener?.close();
        control.close();
        redis.disconnect();
        closeSync(fd);
      }
      // The header says what the recording saw: written over the provisional one, then renamed into place.
      const seconds = Date.now() / 1000 - startedAt;
      const header = recordHeader(recorder.counts, { startedAt, seconds, broker: where });
      const body = readFileSync(o.out, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#') && l !== CSV_HEADER);
      const tmp = `${o.out}.tmp-${process.pid}`;
      writeFileSync(tmp, `${[...header, ...body].join('\n')}\n`);
      renameSync(tmp, o.out);
      for (const l of header.slice(1, -1)) process.stderr.write(`${l.slice(2)}\n`);
      process.stderr.write(`wrote ${recorder.counts.recorded} tasks to ${o.out}; next: npx celery-autoscaler simulate --trace ${o.out}${o.config ? ` --config ${o.config}` : ''}\n`);
    });
}
