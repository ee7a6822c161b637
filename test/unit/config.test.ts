import fc from 'fast-check';
import { parseConfig, parseConfigYaml, resolveCycleSettings, stateStoreOf, transportOf } from '../../lib/config';
import { ValidationError } from '../../lib/errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const service = (over: Record<string, unknown> = {}) => ({
  cluster: 'c', service: 's', queues: ['q1'], maxWorkers: 10, tasksPerWorkerPerMinute: 2, ...over,
});
const config = (over: Record<string, unknown> = {}, svcs: Record<string, unknown> = { web: service() }) => ({
  broker: { url: 'redis://localhost:6379/0' }, hardMaxWorkers: 40, services: svcs, ...over,
});

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('config schema', () => {
  test('the example config in the repository is valid', () => {
    const c = parseConfigYaml(readFileSync(join(__dirname, '..', '..', 'autoscaler.config.yml'), 'utf8'));
    expect(Object.keys(c.services)).toEqual(['default', 'reports']);
  });

  test('defaults are filled in', () => {
    const c = parseConfig(config());
    expect(c.broker).toMatchObject({ globalKeyprefix: '', prioritySteps: [0, 3, 6, 9] });
    // No default db: the broker URL's /N decides it (lib/broker-url.ts brokerForUrl).
    expect(c.broker.db).toBeUndefined();
    expect(c.services.web).toMatchObject({ minWorkers: 0, targetMinutes: 5, scaleUpThreshold: 1, scaleDownThreshold: 0.9, drainTimeoutSeconds: 600 });
  });

  // One row per rule: the input and the issue that must name its path.
  const rejected: [string, unknown, RegExp][] = [
    ['min above max', config({}, { web: service({ minWorkers: 5, maxWorkers: 2 }) }), /^services\.web\.minWorkers: minWorkers \(5\) is above maxWorkers \(2\)/],
    ['max above the hard maximum', config({}, { web: service({ maxWorkers: 41 }) }), /^services\.web\.maxWorkers: maxWorkers \(41\) is above hardMaxWorkers \(40\)/],
    ['a queue in two services', config({}, { a: service(), b: service({ queues: ['q2', 'q1'] }) }), /^services\.b\.queues\.1: queue "q1" is already consumed by service "a"/],
    ['a negative rate', config({}, { web: service({ tasksPerWorkerPerMinute: -1 }) }), /^services\.web\.tasksPerWorkerPerMinute: must be > 0/],
    ['an unknown key', config({}, { web: service({ maxWorker: 3 }) }), /^services\.web: Unrecognized key\(s\) in object: 'maxWorker'/],
    ['an unknown top-level key', config({ extra: 1 }), /^\(root\): Unrecognized key/],
    ['no queue', config({}, { web: service({ queues: [] }) }), /^services\.web\.queues: must list at least one queue/],
    ['fractional workers', config({}, { web: service({ maxWorkers: 2.5 }) }), /^services\.web\.maxWorkers: must be a whole number/],
    ['wrong type', config({}, { web: service({ targetMinutes: '5' }) }), /^services\.web\.targetMinutes: Expected number, received string/],
    ['both url and urlParameter', config({ broker: { url: 'redis://x', urlParameter: '/p' } }), /^broker\.url: set exactly one of url or urlParameter/],
    ['a url of a broker it does not speak', config({ broker: { url: 'http://x' } }), /^broker\.url: must start with redis:\/\/, rediss:\/\/, amqp:\/\/, amqps:\/\/ or pyamqp:\/\//],
    ['a transport the url contradicts', config({ broker: { url: 'amqps://u:p@mq:5671/', transport: 'redis' } }), /^broker\.transport: transport redis contradicts the URL's amqp scheme/],
    ['a Redis db on RabbitMQ', config({ broker: { url: 'amqp://mq/', db: 1 } }), /^broker\.db: db is a Redis database number/],
    ['a Redis key prefix on RabbitMQ', config({ broker: { urlParameter: '/mq', transport: 'amqp', globalKeyprefix: 'x:' } }), /^broker\.globalKeyprefix: globalKeyprefix is a Redis transport option/],
    ['Redis priority steps on RabbitMQ', config({ broker: { url: 'amqp://mq/', prioritySteps: [0, 5] } }), /^broker\.prioritySteps: prioritySteps is a Redis transport option/],
    ['state in a Redis that RabbitMQ does not have', config({ broker: { url: 'amqp://mq/' }, state: { store: 'redis' } }), /^state\.store: store redis needs a Redis broker/],
    ['a table with state in Redis', config({ state: { table: 'autoscaler' } }), /^state\.table: table is read only with store dynamodb/],
    ['a table name DynamoDB refuses', config({ state: { store: 'dynamodb', table: 'a b' } }), /^state\.table: must be a DynamoDB table name/],
    ['no services', config({}, {}), /^services: must configure at least one service/],
    ['a db that contradicts the url', config({ broker: { url: 'redis://x:6379/1', db: 0 } }), /^broker\.db: broker\.db \(0\) contradicts the broker URL's \/1/],
    ['threshold above 1', config({}, { web: service({ scaleDownThreshold: 1.5 }) }), /^services\.web\.scaleDownThreshold: must be ≤ 1/],
  ];
  test.each(rejected)('rejects %s', (_name, input, issue) => {
    const issues = issuesOf(() => parseConfig(input));
    expect(issues.some((i) => issue.test(i))).toBe(true);
  });

  test('where state lives follows the broker unless the config says', () => {
    const at = (over: Record<string, unknown>) => { const c = parseConfig(config(over)); return [transportOf(c.broker), stateStoreOf(c)]; };
    expect(at({})).toEqual(['redis', 'redis']);
    expect(at({ state: { store: 'dynamodb', table: 'mine' } })).toEqual(['redis', 'dynamodb']);
    expect(at({ broker: { url: 'amqps://u:p@b-1.mq.eu-west-1.amazonaws.com:5671/' } })).toEqual(['amqp', 'dynamodb']);
    // With urlParameter the URL is read at run time: transport says what the parameter holds.
    expect(at({ broker: { urlParameter: '/celery/broker', transport: 'amqp' } })).toEqual(['amqp', 'dynamodb']);
    expect(at({ broker: { urlParameter: '/celery/broker' } })).toEqual(['redis', 'redis']);
  });

  test('invalid YAML is a validation error, not a crash', () => {
    expect(issuesOf(() => parseConfigYaml('services: [unclosed'))[0]).toMatch(/^not valid YAML/);
  });

  test('random input never throws anything but a ValidationError', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        try {
          parseConfig(raw);
        } catch (e) {
          return e instanceof ValidationError && e.issues.length > 0;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  test('random mutations of a valid service are accepted or rejected with a path', () => {
    const keys = Object.keys(service({ minWorkers: 0 })).concat(['targetMinutes', 'startupSeconds', 'scaleUpThreshold', 'idleMinutes', 'bogus']);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null), fc.array(fc.string())), (key, value) => {
        try {
          parseConfig(config({}, { web: service({ [key]: value }) }));
        } catch (e) {
          return e instanceof ValidationError && e.issues.every((i) => /^(services\.web|\(root\)|services)/.test(i));
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

describe('execution input overrides', () => {
  const c = parseConfig(config({}, { web: service({ minWorkers: 1, maxWorkers: 10 }) }));

  test('the schedule input {} changes nothing', () => {
    const s = resolveCycleSettings(c, {});
    expect(s).toMatchObject({ dryRun: false, skipCooldown: false, desired: {} });
    expect(s.services.web).toEqual(c.services.web);
  });

  test('overrides apply to the named service', () => {
    const s = resolveCycleSettings(c, { dryRun: true, services: { web: { maxWorkers: 20, desired: 12, targetMinutes: 2 } }, note: 'incident 42' });
    expect(s.services.web).toMatchObject({ maxWorkers: 20, targetMinutes: 2 });
    expect(s.desired).toEqual({ web: 12 });
    expect(s.note).toBe('incident 42');
  });

  const bad: [string, unknown, RegExp][] = [
    ['an unknown service', { services: { api: { desired: 1 } } }, /^services\.api: unknown service \(configured: web\)/],
    ['above the hard maximum', { services: { web: { maxWorkers: 41 } } }, /^services\.web\.maxWorkers: 41 is above hardMaxWorkers \(40\)/],
    ['desired above the hard maximum', { services: { web: { desired: 99, maxWorkers: 40 } } }, /^services\.web\.desired: 99 is above hardMaxWorkers/],
    ['min above max', { services: { web: { minWorkers: 11 } } }, /^services\.web\.minWorkers: 11 is above maxWorkers \(10\)/],
    ['desired out of bounds', { services: { web: { desired: 0 } } }, /^services\.web\.desired: 0 is outside \[minWorkers 1, maxWorkers 10\]/],
    ['a wrong type', { dryRun: 'yes' }, /^dryRun: Expected boolean, received string/],
    ['an unknown key', { dryrun: true }, /^\(root\): Unrecognized key\(s\) in object: 'dryrun'/],
    ['a negative count', { services: { web: { desired: -1 } } }, /^services\.web\.desired: must be ≥ 0/],
  ];
  test.each(bad)('rejects %s, naming the field', (_n, input, issue) => {
    const issues = issuesOf(() => resolveCycleSettings(c, input));
    expect(issues.some((i) => issue.test(i))).toBe(true);
  });
});
