import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClientOptions } from '../../lib/aws-client';
import { resolveBrokerUrl } from '../../lib/broker-url';
import { publishTasks } from '../../lib/celery/publish';
import { AwsApiError, startJsonApi, type JsonApiServer } from '../../local/aws-json-api';
import { RedisServer } from '../../local/redis-server';
import { makeTlsCerts } from '../support/tls-certs';

const exec = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');
const PASSWORD = 'acl-pw-5d1e9b';

/** `measure --json` with a broker URL; its pending count for queue q1. */
async function measure(dir: string, url: string, env: Record<string, string> = {}) {
  const config = join(dir, 'config.yml');
  writeFileSync(config, 'broker: { url: "redis://unused" }\nservices:\n  web: { cluster: c, service: s, queues: [q1], maxWorkers: 5, tasksPerWorkerPerMinute: 10 }\n');
  const { stdout } = await exec('node', [BIN, 'measure', '--config', config, '--json', '--broker-url', url, '--timeout', '300'], { env: { ...process.env, ...env } });
  return JSON.parse(stdout).services.web.queues.q1 as number;
}

describe('broker access: ACL user, TLS (rediss://), the URL from SSM', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'broker-access-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('an ACL user with a password (ElastiCache RBAC)', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start(undefined, undefined, { user: 'autoscaler', password: PASSWORD });
      const c = server.client();
      await publishTasks(c, { globalKeyprefix: '', prioritySteps: [0, 3, 6, 9] }, 'q1', [{ task: 'tasks.sleep_task', args: [0] }]);
      c.disconnect();
    });
    afterAll(async () => server?.stop());

    test('user:password@ in the URL reads the queues', async () => {
      expect(await measure(dir, server.url)).toBe(1);
    });

    test('a wrong password: one line that says WRONGPASS and never shows the password', async () => {
      const wrong = 'wrong-pw-0c4d';
      const err = await measure(dir, server.url.replace(PASSWORD, wrong)).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(/^error: .*WRONGPASS/);
      expect(err.stderr + err.stdout).not.toContain(wrong);
    });
  });

  describe('rediss:// against a redis-server with TLS and an ACL user', () => {
    let server: RedisServer;
    let certs: ReturnType<typeof makeTlsCerts>;
    beforeAll(async () => {
      certs = makeTlsCerts();
      server = await RedisServer.start(undefined, undefined, { user: 'autoscaler', password: PASSWORD, tls: certs });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(certs.dir, { recursive: true, force: true });
    });

    test('trusting the CA (NODE_EXTRA_CA_CERTS, as ElastiCache needs no extra CA), it reads the queues', async () => {
      expect(server.url).toMatch(/^rediss:\/\/autoscaler:.*@localhost:/);
      expect(await measure(dir, server.url, { NODE_EXTRA_CA_CERTS: certs.caFile })).toBe(0);
    });

    test('a certificate it cannot verify is refused, in one line', async () => {
      const err = await measure(dir, server.url).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(/^error: the broker at rediss:\/\/autoscaler:\*\*\*@localhost:\d+\/0 is not reachable: .*certificate/);
      expect(err.stderr).not.toContain(PASSWORD);
    });
  });

  describe('the URL from an SSM SecureString', () => {
    let ssm: JsonApiServer;
    const parameters: Record<string, string> = { '/celery-autoscaler/broker-url': 'rediss://autoscaler:secret@cache.example:6379/0', '/not-a-url': 'postgres://x', '/mq': 'amqps://autoscaler:secret@b-1.mq.example:5671/' };
    const client = () => new SSMClient(awsClientOptions({ endpoint: ssm.endpoint }));
    beforeAll(async () => {
      // Another test file may have set it: it would win over SSM.
      delete process.env.BROKER_URL;
      ssm = await startJsonApi('AmazonSSM', '1.1', (op, p) => {
        if (op !== 'GetParameter') throw new AwsApiError('UnknownOperationException', op);
        const value = parameters[p.Name];
        if (value === undefined) throw new AwsApiError('ParameterNotFound', '');
        return { Parameter: { Name: p.Name, Type: 'SecureString', Value: p.WithDecryption ? value : 'AQICAHh…(encrypted)', Version: 1, DataType: 'text' } };
      });
    });
    afterAll(async () => ssm?.close());

    test('read once with decryption, then cached for five minutes', async () => {
      const broker = { urlParameter: '/celery-autoscaler/broker-url' } as const;
      const t0 = Date.now();
      expect(await resolveBrokerUrl(broker as never, t0, client())).toBe(parameters[broker.urlParameter]);
      expect(await resolveBrokerUrl(broker as never, t0 + 60_000, client())).toBe(parameters[broker.urlParameter]);
      expect(ssm.calls.map((c) => c.params)).toEqual([{ Name: broker.urlParameter, WithDecryption: true }]);
      await resolveBrokerUrl(broker as never, t0 + 5 * 60_000 + 1, client());
      expect(ssm.calls).toHaveLength(2);
    });

    test.each([
      ['/missing', /^cannot read SSM parameter \/missing: ParameterNotFound/],
      ['/not-a-url', /^SSM parameter \/not-a-url does not hold a redis:\/\/, rediss:\/\/, amqp:\/\/, amqps:\/\/ or pyamqp:\/\/ URL$/],
      // A RabbitMQ URL where the config says Redis (broker.transport's default): named, never dialled as Redis.
      ['/mq', /^SSM parameter \/mq holds an amqp URL but broker.transport is redis: set broker.transport: amqp$/],
    ])('%s is a clear BrokerUrlError', async (name, message) => {
      const err = await resolveBrokerUrl({ urlParameter: name } as never, Date.now(), client()).catch((e) => e);
      expect(err.name).toBe('BrokerUrlError');
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('postgres://x');
      expect(err.message).not.toContain('secret');
    });

    test('a parameter holding the transport the config names is read', async () => {
      expect(await resolveBrokerUrl({ urlParameter: '/mq', transport: 'amqp' } as never, Date.now(), client())).toBe(parameters['/mq']);
    });
  });
});
