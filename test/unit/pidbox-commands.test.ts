import { PidboxCommands, type CallOptions, type ControlResult } from '../../lib/celery/control';

// The commands every remote-control transport shares (lib/celery on Redis, lib/amqp on RabbitMQ),
// over a transport that records what it is asked and answers for every node named.

class Recording extends PidboxCommands {
  readonly asked: { method: string; args?: Record<string, unknown>; opts?: CallOptions }[] = [];
  async call<T>(method: string, args?: Record<string, unknown>, opts?: CallOptions): Promise<ControlResult<T>> {
    this.asked.push({ method, args, opts });
    const nodes = opts?.destination ?? [];
    return { replies: Object.fromEntries(nodes.map((n) => [n, { ok: 'x' }])) as Record<string, T>, missing: [], expected: nodes.length };
  }
}

describe('cancel and add consumers over any transport', () => {
  test('no node named: the transport is not asked at all, whatever it would make of an empty destination', async () => {
    const t = new Recording();
    expect(await t.cancelConsumers(['q1', 'q2'], [])).toEqual({ confirmed: [], unconfirmed: [] });
    expect(await t.addConsumers(['q1'], [])).toEqual({ confirmed: [], unconfirmed: [] });
    expect(t.asked).toEqual([]);
  });

  test('nodes named: one call per queue, to those nodes', async () => {
    const t = new Recording();
    expect(await t.cancelConsumers(['q1', 'q2'], ['a@t'])).toEqual({ confirmed: ['a@t'], unconfirmed: [] });
    expect(t.asked).toEqual([
      { method: 'cancel_consumer', args: { queue: 'q1' }, opts: { destination: ['a@t'] } },
      { method: 'cancel_consumer', args: { queue: 'q2' }, opts: { destination: ['a@t'] } },
    ]);
  });
});
