/**
 * Message headers (an AMQP field table) that Celery's py-amqp reads back as they were written.
 *
 * amqplib picks the narrowest signed integer type for a JS number: `b` for -128..127, `s` for
 * 16 bits, `I` for 32, `l` for 64 (RabbitMQ's errata). py-amqp (amqp/serialization.py `_read_item`)
 * reads `s` as a *short string* and `b`/`l` as unsigned: a header integer from 128 to 32767 — the
 * pidbox `clock` after 127 commands — makes it misread the rest of the table and the worker stop
 * with "Unrecoverable error: UnicodeDecodeError" (seen on Celery 5.2.6's py-amqp 5.1.1; 5.3.1 reads
 * the same). So every integer is sent as `I` (signed 32 bits, read `>i`) when it fits, else as
 * `l` (64 bits) when not negative; anything else as a double.
 */
export function amqpTable(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value >= -0x80000000 && value < 0x80000000) return { '!': 'int', value };
    return value >= 0 && value < 2 ** 63 ? { '!': 'long', value } : { '!': 'double', value };
  }
  if (Array.isArray(value)) return value.map(amqpTable);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, amqpTable(v)]));
  }
  return value;
}
