import { amqpOptions, amqpError } from '../../lib/amqp/connection';
import { amqpTable } from '../../lib/amqp/table';

describe('AMQP broker URLs, read as kombu reads them', () => {
  test.each([
    ['amqp://guest:guest@localhost:5672//', { hostname: 'localhost', port: 5672, vhost: '/', username: 'guest', password: 'guest', protocol: 'amqp' }, false],
    ['pyamqp://u:p@h/', { hostname: 'h', port: 5672, vhost: '/' }, false],
    ['amqp://u:p@h', { vhost: '/' }, false],
    ['amqp://u:p@h/app', { vhost: 'app' }, false],
    ['amqp://u:p@h/%2Fapp', { vhost: '/app' }, false],
    ['amqps://u:p%40ss@b-1.mq.eu-west-1.amazonaws.com:5671/', { hostname: 'b-1.mq.eu-west-1.amazonaws.com', port: 5671, password: 'p@ss', protocol: 'amqps' }, true],
    ['amqps://u:p@h', { port: 5671 }, true],
    ['amqp://h', { username: 'guest', password: 'guest' }, false],
    ['amqp://u:p@[::1]:5673/', { hostname: '::1', port: 5673 }, false],
  ])('%s', (url, expected, tls) => {
    const o = amqpOptions(url);
    expect(o.connect).toMatchObject(expected);
    expect(o.tls).toBe(tls);
  });

  test('the heartbeat is 30 s unless said', () => {
    expect(amqpOptions('amqp://h').connect.heartbeat).toBe(30);
    expect(amqpOptions('amqp://h', 0).connect.heartbeat).toBe(0);
  });

  test('a Redis or broken URL is refused without its password', () => {
    expect(() => amqpOptions('redis://u:s3cret@h:6379/0')).toThrow(/not an AMQP URL.*redis:\/\/u:\*\*\*@h/);
    expect(() => amqpOptions('amqp://u:s3cret@h:notaport/')).toThrow(/not a broker URL/);
    expect(() => amqpOptions('amqp://u:s3cret@h:notaport/')).not.toThrow(/s3cret/);
  });

  test('errors name no password, and a refused login says so', () => {
    expect(amqpError(new Error('connect to amqp://u:s3cret@h failed'), 'connecting').message).toBe('connecting: connect to amqp://u:***@h failed');
    expect(amqpError(new Error('oops s3cret'), 'x', 's3cret').message).toBe('x: oops ***');
    expect(amqpError(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)'), 'x').message).toMatch(/^broker authentication failed/);
  });
});

describe('header tables py-amqp reads back', () => {
  test('integers are sent as 32-bit (I) or 64-bit (l), never as b or s', () => {
    expect(amqpTable({ clock: 1, big: 128, bigger: 40_000, huge: 2 ** 40, neg: -5, f: 1.5, s: 'x', n: null, a: [1, null] })).toEqual({
      clock: { '!': 'int', value: 1 }, big: { '!': 'int', value: 128 }, bigger: { '!': 'int', value: 40_000 },
      huge: { '!': 'long', value: 2 ** 40 }, neg: { '!': 'int', value: -5 }, f: 1.5, s: 'x', n: null,
      a: [{ '!': 'int', value: 1 }, null],
    });
  });
});
