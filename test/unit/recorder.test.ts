import { decodeEvents, eventPattern } from '../../lib/celery/events';
import { recordHeader, TraceRecorder, traceRow } from '../../lib/simulate/recorder';
import { parseTraceCsv } from '../../lib/simulate/trace';

const T0 = 1_700_000_000;
const ev = (type: string, at: number, more: Record<string, unknown> = {}) => ({ type, timestamp: T0 + at, uuid: 'u1', hostname: 'w@h', ...more });

describe('record: Celery events → trace rows', () => {
  test('the pattern is /{db}.celeryev/* behind global_keyprefix; a task.multi body is a list of events', () => {
    expect(eventPattern({ db: 2, globalKeyprefix: 'pfx:' })).toBe('pfx:/2.celeryev/*');
    const body = Buffer.from(JSON.stringify([ev('task-started', 1), ev('task-succeeded', 2, { runtime: 1 })])).toString('base64');
    const msg = JSON.stringify({ body, 'content-encoding': 'utf-8', 'content-type': 'application/json', headers: {}, properties: { body_encoding: 'base64', delivery_info: { exchange: 'celeryev', routing_key: 'task.multi' } } });
    expect(decodeEvents(msg).map((e) => e.type)).toEqual(['task-started', 'task-succeeded']);
    expect(decodeEvents('not json')).toEqual([]);
  });

  test('task-sent gives arrival and queue, task-succeeded runtime the duration', () => {
    const r = new TraceRecorder(T0);
    expect(r.add(ev('task-sent', 1.5, { routing_key: 'emails', queue: 'emails' }), () => undefined)).toBeNull();
    r.add(ev('task-received', 1.6), () => ['other']);
    const row = r.add(ev('task-succeeded', 4, { runtime: 2.25 }), () => ['other']);
    expect(row).toMatchObject({ arrival: 1.5, queue: 'emails', duration: 2.25, source: 'task-sent', queueFrom: 'task-sent' });
  });

  test('without task-sent: arrival at task-received, queue the worker\'s (first of several, counted); a failure is timed from task-started', () => {
    const r = new TraceRecorder(T0);
    r.add(ev('task-received', 2), () => ['a', 'b']);
    r.add(ev('task-started', 2.1), () => ['a', 'b']);
    expect(r.add(ev('task-failed', 3.1), () => ['a', 'b'])).toMatchObject({ arrival: 2, queue: 'a', duration: 1, source: 'task-received', queueFrom: 'guessed' });
    expect(r.counts).toMatchObject({ recorded: 1, guessedQueue: 1, sentEvents: 0 });
  });

  test('a task sent before the recording is left out and counted', () => {
    const r = new TraceRecorder(T0);
    expect(r.add(ev('task-succeeded', 1, { runtime: 1 }), () => ['q'])).toBeNull();
    expect(r.counts.arrivedBefore).toBe(1);
  });

  test('the header names the arrival source and the settings to turn on; the simulator reads the file', () => {
    const r = new TraceRecorder(T0);
    const header = recordHeader(r.counts, { startedAt: T0, seconds: 60, broker: 'redis://h:6379/0' });
    expect(header.join('\n')).toMatch(/^# no worker events were seen: start the workers with -E \(or set worker_send_task_events = True\)/m);
    expect(header.join('\n')).toMatch(/^# no task-sent events were seen: set task_send_sent_event = True/m);
    const csv = `${[...header, traceRow({ arrival: 1.23456, queue: 'q', duration: 0.5 })].join('\n')}\n`;
    expect(parseTraceCsv(csv)).toEqual([{ arrival: 1.235, queue: 'q', duration: 0.5 }]);
  });
});
