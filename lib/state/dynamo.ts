import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type * as DynamoSdk from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient, KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import { awsClientOptions } from '../aws-client';
import { redactUrl } from '../broker-url';
import { pool } from '../ecs/limits';
import { BrokerUnavailableError } from '../errors';
import type { Observation } from '../observation';
import type { HistoryPort, LeasePort } from '../cycle/ports';
import type { DrainRecord, Leftovers, ScaleTimes, StateStore, Wanted } from './store';

/** StateStore's public methods: what DynamoStateStore must offer, signature for signature. */
export type StateStoreApi = Pick<StateStore, keyof StateStore>;

/**
 * The autoscaler's own state in one DynamoDB table, for teams whose broker is not Redis (RabbitMQ)
 * or who want nothing written into it. Same methods and semantics as StateStore (lib/state/store.ts),
 * proven by one behavioural suite run on both (test/integration/state-conformance.test.ts).
 * docs/state.md has the design; the limits it is built to are cited where they bite.
 *
 * Key design: one string partition key, `pk`, named exactly as StateStore names its Redis keys
 * (`celery-autoscaler:<stage>:<kind>:<service>`), no sort key. Every access is by exact key
 * (GetItem, BatchGetItem, conditional PutItem/UpdateItem/DeleteItem), never a Scan or Query, and
 * every service's items are independent, so they spread over partitions and a batch for N services
 * is ⌈3N/100⌉ BatchGetItem calls. The stage prefix lets several stages share a table.
 *
 * Expiry: every item carries `expiresAtMs` (epoch ms, exact) and `expiresAt` (epoch seconds, the
 * table's TTL attribute). DynamoDB's TTL deletes an expired item on a best-effort basis, "typically
 * within two days of expiration", and "items that have expired and not been deleted will still show
 * up in reads" (UpdateTimeToLive, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html;
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html). So TTL only
 * collects garbage: every read compares `expiresAtMs` with the clock and treats an expired item as
 * absent, and every conditional write treats it as absent too (a lease past its end is free at once,
 * as a Redis key with PX is gone at once).
 *
 * Reads are strongly consistent (ConsistentRead): a lease or record written by the step before must
 * be seen by the next, as Redis gives (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
 *
 * Every failure is a BrokerUnavailableError (the class StateStore raises, which the state machine
 * retries), "autoscaler state: <what it was doing>: <the SDK's error>"; a ConditionalCheckFailedException
 * is an answer (not acquired, not the holder), never a failure. A read that fails, or that DynamoDB
 * left partly unprocessed, fails: it never comes back as "no state".
 */

/** The table's partition key: a string, the Redis key's name. */
export const PARTITION_KEY = 'pk';
/** DynamoDB's TTL attribute: epoch seconds (a Number), when DynamoDB may delete the item. */
export const TTL_ATTRIBUTE = 'expiresAt';
/** The exact end of an item's life, epoch ms, checked on every read and conditional write. */
export const EXPIRES_MS = 'expiresAtMs';

/**
 * The table as data, for serverless.yml (AWS::DynamoDB::Table: AttributeDefinitions, KeySchema,
 * BillingMode, TimeToLiveSpecification) and for the tests (CreateTable, then UpdateTimeToLive).
 * On-demand (PAY_PER_REQUEST): a few calls per cycle, spiky with the fleet, nothing to provision.
 */
export const STATE_TABLE = {
  AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
  TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
} as const;

/**
 * Every DynamoDB API call the store makes at runtime, as IAM actions on the table: what its role
 * needs, and nothing more (the conformance suite records the calls and compares).
 */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
] as const;

/**
 * DynamoDB's limits this store is designed to.
 * - An item is at most 400 KB, attribute names and values together ("Service, account, and table
 *   quotas", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html;
 *   sizes per type: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 * - BatchGetItem: up to 100 keys and 16 MB per call; what it could not return comes back in
 *   UnprocessedKeys, to ask again (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
 * - BatchWriteItem: up to 25 puts or deletes and 16 MB per call, each item up to 400 KB; the rest
 *   in UnprocessedItems (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
 * - TransactWriteItems: up to 100 actions (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
 *   Not used: every write here is one item, or (a split value) parts written before the head that
 *   names them, so no transaction is needed, as StateStore's pipelines are not transactions either.
 */
export const DYNAMO_LIMITS = {
  itemBytes: 400 * 1024,
  batchGetKeys: 100,
  batchGetBytes: 16 * 1024 * 1024,
  batchWriteItems: 25,
  transactWriteItems: 100,
} as const;

/**
 * A packed value larger than this is split into parts of this size, each its own item: a part's
 * key, `gen` and expiry attributes take under 3 KB, so a part stays well inside 400 KB. 25 parts (a
 * BatchWriteItem) are under 9 MB, inside its 16 MB.
 */
export const PART_BYTES = 350 * 1024;
/** A value of more parts than this (about 35 MB gzipped) is refused, clearly, rather than written. */
export const MAX_PARTS = 100;
/** Parts read a BatchGetItem: as many as fit its 16 MB answer, so a full one is not cut short into UnprocessedKeys. */
const PARTS_PER_GET = Math.floor(DYNAMO_LIMITS.batchGetBytes / DYNAMO_LIMITS.itemBytes);

/** As StateStore's: history and scale times outlive many cycles but not an abandoned stage. */
const STATE_TTL_MS = 7 * 24 * 3600 * 1000;
const DRAIN_RECORD_TTL_MS = 24 * 3600 * 1000;

/** UnprocessedKeys / UnprocessedItems are asked again this many times, backing off, then the call fails. */
const BATCH_ATTEMPTS = 8;
const BATCH_BACKOFF_MS = 50;
/** Batch calls one store operation keeps in flight at once. */
const BATCH_CONCURRENCY = 4;

let sdk: typeof DynamoSdk | null = null;
const dynamoSdk = (): typeof DynamoSdk => (sdk ??= require('@aws-sdk/client-dynamodb') as typeof DynamoSdk);

/**
 * The SDK client, as lib/ecs makes its own: DYNAMODB_ENDPOINT (or `endpoint`) points it at a local
 * stand-in with dummy credentials; one SDK retry, so Step Functions' Retry on BrokerUnavailableError
 * does the backing off, visibly; a connection or request that hangs fails instead of holding the step.
 */
export function createDynamoClient(opts: { endpoint?: string; region?: string; connectTimeoutMs?: number; requestTimeoutMs?: number } = {}): DynamoDBClient {
  return new (dynamoSdk().DynamoDBClient)({
    ...awsClientOptions({ endpoint: opts.endpoint ?? process.env.DYNAMODB_ENDPOINT, region: opts.region }),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: opts.connectTimeoutMs ?? 2000, requestTimeout: opts.requestTimeoutMs ?? 5000 },
  });
}

type Item = Record<string, AttributeValue>;

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const B = (b: Uint8Array): AttributeValue => ({ B: b });
const num = (v: AttributeValue | undefined): number | undefined => (v?.N === undefined ? undefined : Number(v.N));

/** A ConditionalCheckFailedException: the condition said no, which is an answer. */
const conditionFailed = (e: unknown): boolean => (e as { name?: string })?.name === 'ConditionalCheckFailedException';

/** Too large for DynamoDB: not transient, but still a store failure (the cycle must not go on without it). */
class TooLarge extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * An upper bound of an item's size as DynamoDB counts it: each attribute name's UTF-8 length plus
 * its value's (strings in UTF-8, binaries raw, numbers at most 21 bytes).
 */
export function itemBytes(item: Item): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) {
    n += Buffer.byteLength(name, 'utf8');
    if (v.S !== undefined) n += Buffer.byteLength(v.S, 'utf8');
    else if (v.B !== undefined) n += v.B.length;
    else if (v.N !== undefined) n += 21;
    else n += Buffer.byteLength(JSON.stringify(v), 'utf8'); // not written by this store
  }
  return n;
}

/** As StateStore packs history and observations: gzip level 1 of the JSON. */
function pack(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value), { level: 1 });
}

function unpack<T>(raw: Uint8Array): T {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  const gzipped = b.length > 1 && b[0] === 0x1f && b[1] === 0x8b;
  return JSON.parse((gzipped ? gunzipSync(b) : b).toString('utf8')) as T;
}

function parseDrain(r: unknown): DrainRecord | null {
  const d = r as DrainRecord | null;
  return d && Array.isArray(d.nodes) && Array.isArray(d.queues) ? d : null;
}

/** A stored value as read: its head item, and its bytes, or null when its parts do not agree (torn). */
interface Blob {
  head: Item;
  bytes: Buffer | null;
}

export class DynamoStateStore implements StateStoreApi, LeasePort, HistoryPort {
  private readonly now: () => number;
  private readonly batchAttempts: number;
  private readonly batchBackoffMs: number;

  /**
   * `prefix`: as StateStore's (statePrefix(stage)), so the same key names. `now`: the clock every
   * expiry is set and checked on (the Lambda's, kept by Amazon Time Sync; Redis uses its server's).
   * `batchAttempts`, `batchBackoffMs`: how often, and from what first pause (doubling), a batch's
   * UnprocessedKeys/UnprocessedItems are sent again before the call fails.
   */
  constructor(private readonly client: DynamoDBClient, readonly table: string, readonly prefix: string, opts: { now?: () => number; batchAttempts?: number; batchBackoffMs?: number } = {}) {
    this.now = opts.now ?? Date.now;
    this.batchAttempts = opts.batchAttempts ?? BATCH_ATTEMPTS;
    this.batchBackoffMs = opts.batchBackoffMs ?? BATCH_BACKOFF_MS;
  }

  private key(kind: string, service: string): string {
    return `${this.prefix}${kind}:${service}`;
  }

  private async run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = e as Error;
      const text = err instanceof TooLarge ? err.message : `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
      throw new BrokerUnavailableError(`autoscaler state: ${doing}: DynamoDB table ${this.table}: ${redactUrl(text)}`);
    }
  }

  private expiry(ttlMs: number): Item {
    // As Redis refuses PX 0 (or NaN): a record that is dead when written is a caller's bug, not a write.
    if (!(Math.ceil(ttlMs) > 0)) throw new Error(`invalid expire time ${ttlMs} ms`);
    const at = this.now() + Math.ceil(ttlMs);
    return { [EXPIRES_MS]: N(at), [TTL_ATTRIBUTE]: N(Math.ceil(at / 1000)) };
  }

  private live(item: Item | undefined): item is Item {
    const at = num(item?.[EXPIRES_MS]);
    return item !== undefined && at !== undefined && at > this.now();
  }

  /** A conditional write: true when done, false when its condition said no. */
  private async conditional(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (e) {
      if (conditionFailed(e)) return false;
      throw e;
    }
  }

  private async getItem(pk: string): Promise<Item | undefined> {
    const out = await this.client.send(new (dynamoSdk().GetItemCommand)({ TableName: this.table, Key: { [PARTITION_KEY]: S(pk) }, ConsistentRead: true }));
    return out.Item;
  }

  private async deleteItem(pk: string): Promise<void> {
    await this.client.send(new (dynamoSdk().DeleteItemCommand)({ TableName: this.table, Key: { [PARTITION_KEY]: S(pk) } }));
  }

  private checkSize(item: Item, what: string): Item {
    const size = itemBytes(item);
    if (size > DYNAMO_LIMITS.itemBytes) throw new TooLarge(`${what} is ${size} bytes, over DynamoDB's item limit of ${DYNAMO_LIMITS.itemBytes} bytes (400 KB)`);
    return item;
  }

  /**
   * Items by key, strongly consistent: 100 keys a BatchGetItem, its UnprocessedKeys asked again
   * (backing off) until none is left; still some after BATCH_ATTEMPTS, the read fails.
   */
  private async batchGet(keys: string[], perCall: number = DYNAMO_LIMITS.batchGetKeys): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const unique = [...new Set(keys)]; // BatchGetItem refuses a request that names a key twice
    await pool(chunks(unique, perCall), BATCH_CONCURRENCY, async (batch) => {
      let request: Record<string, KeysAndAttributes> | undefined = { [this.table]: { Keys: batch.map((k) => ({ [PARTITION_KEY]: S(k) })), ConsistentRead: true } };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt >= this.batchAttempts) throw new Error(`BatchGetItem left ${request[this.table]?.Keys?.length ?? 0} keys unprocessed after ${this.batchAttempts} attempts (throttled)`);
        if (attempt > 0) await sleep(this.batchBackoffMs * 2 ** (attempt - 1));
        const out: DynamoSdk.BatchGetItemCommandOutput = await this.client.send(new (dynamoSdk().BatchGetItemCommand)({ RequestItems: request }));
        for (const item of out.Responses?.[this.table] ?? []) {
          const pk = item[PARTITION_KEY]?.S;
          if (pk !== undefined) found.set(pk, item);
        }
        request = out.UnprocessedKeys;
      }
    });
    return found;
  }

  /** Puts and deletes, 25 a BatchWriteItem, UnprocessedItems written again as batchGet does. */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    await pool(chunks(requests, DYNAMO_LIMITS.batchWriteItems), BATCH_CONCURRENCY, async (batch) => {
      let pending: WriteRequest[] = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= this.batchAttempts) throw new Error(`BatchWriteItem left ${pending.length} items unwritten after ${this.batchAttempts} attempts (throttled)`);
        if (attempt > 0) await sleep(this.batchBackoffMs * 2 ** (attempt - 1));
        const out = await this.client.send(new (dynamoSdk().BatchWriteItemCommand)({ RequestItems: { [this.table]: pending } }));
        pending = out.UnprocessedItems?.[this.table] ?? [];
      }
    });
  }

  /**
   * Values (gzipped JSON, as StateStore packs history) under their keys. One that fits is one item,
   * its bytes in `z`; a larger one is split: parts `<key>#part:<i>` (each with the value's `gen`)
   * written first, then the head naming `parts` and `gen`, so a reader never follows a head to parts
   * not yet written. Part keys are the same on every write: at most the longest value's parts exist
   * per key, parts past a shorter value's end are left to the TTL (the head is the only way in).
   */
  private async putValues(entries: { key: string; value: unknown; ttlMs: number; extra?: Item; what: string }[]): Promise<void> {
    const parts: WriteRequest[] = [];
    const heads: WriteRequest[] = [];
    for (const { key, value, ttlMs, extra, what } of entries) {
      const packed = pack(value);
      const expiry = this.expiry(ttlMs);
      if (packed.length <= PART_BYTES) {
        heads.push({ PutRequest: { Item: this.checkSize({ [PARTITION_KEY]: S(key), z: B(packed), ...expiry, ...extra }, what) } });
        continue;
      }
      const count = Math.ceil(packed.length / PART_BYTES);
      if (count > MAX_PARTS) throw new TooLarge(`${what} is ${packed.length} bytes gzipped, over the ${MAX_PARTS} parts of ${PART_BYTES} bytes this store splits a value into`);
      const gen = randomUUID();
      for (let i = 0; i < count; i++) {
        parts.push({ PutRequest: { Item: this.checkSize({ [PARTITION_KEY]: S(`${key}#part:${i}`), z: B(packed.subarray(i * PART_BYTES, (i + 1) * PART_BYTES)), gen: S(gen), ...expiry }, `${what} (part ${i})`) } });
      }
      heads.push({ PutRequest: { Item: this.checkSize({ [PARTITION_KEY]: S(key), parts: N(count), gen: S(gen), ...expiry, ...extra }, what) } });
    }
    if (parts.length > 0) await this.batchWrite(parts);
    await this.batchWrite(heads);
  }

  /**
   * The live values under these keys (an absent or expired key is left out). A split value whose
   * parts are missing or of another `gen` (a write in between) is read once more, then given as
   * torn (`bytes: null`): the caller decides, as StateStore's readers do for an unreadable value.
   */
  private async getValues(keys: string[]): Promise<Map<string, Blob>> {
    const out = new Map<string, Blob>();
    let todo = [...new Set(keys)];
    for (let round = 0; round < 2 && todo.length > 0; round++) {
      const heads = await this.batchGet(todo);
      const split: [string, Item, number][] = [];
      for (const key of todo) {
        const head = heads.get(key);
        if (!this.live(head)) {
          out.delete(key);
          continue;
        }
        const count = num(head.parts);
        if (count === undefined) out.set(key, { head, bytes: head.z?.B ? Buffer.from(head.z.B) : null });
        else split.push([key, head, count]);
      }
      const partItems = split.length > 0 ? await this.batchGet(split.flatMap(([key, , count]) => Array.from({ length: count }, (_, i) => `${key}#part:${i}`)), PARTS_PER_GET) : new Map<string, Item>();
      const torn: string[] = [];
      for (const [key, head, count] of split) {
        const pieces: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          const p = partItems.get(`${key}#part:${i}`);
          if (!p || p.gen?.S !== head.gen?.S || !p.z?.B) break;
          pieces.push(Buffer.from(p.z.B));
        }
        if (pieces.length === count) out.set(key, { head, bytes: Buffer.concat(pieces) });
        else {
          out.set(key, { head, bytes: null });
          torn.push(key);
        }
      }
      todo = torn;
    }
    return out;
  }

  /** One cycle at a time per service: a conditional PutItem (absent, expired, or this token's), token = execution name. */
  acquireLock(service: string, token: string, ttlMs: number): Promise<{ acquired: boolean; holder: string | null }> {
    return this.run(`locking ${service}`, async () => {
      const pk = this.key('lock', service);
      // Re-entrant for the same execution, as StateStore: a retried CheckCooldown must not lock itself out.
      const put = () => this.client.send(new (dynamoSdk().PutItemCommand)({
        TableName: this.table,
        Item: { [PARTITION_KEY]: S(pk), token: S(token), ...this.expiry(ttlMs) },
        ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now OR #token = :token',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#exp': EXPIRES_MS, '#token': 'token' },
        ExpressionAttributeValues: { ':now': N(this.now()), ':token': S(token) },
      }));
      if (await this.conditional(put)) return { acquired: true, holder: token };
      const item = await this.getItem(pk);
      return { acquired: false, holder: this.live(item) ? item.token?.S ?? null : null };
    });
  }

  releaseLock(service: string, token: string): Promise<boolean> {
    return this.run(`unlocking ${service}`, () => this.conditional(() => this.client.send(new (dynamoSdk().DeleteItemCommand)({
      TableName: this.table,
      Key: { [PARTITION_KEY]: S(this.key('lock', service)) },
      ConditionExpression: '#token = :token AND #exp > :now',
      ExpressionAttributeNames: { '#exp': EXPIRES_MS, '#token': 'token' },
      ExpressionAttributeValues: { ':now': N(this.now()), ':token': S(token) },
    }))));
  }

  /** Renews the holder's lease; false when the lock is no longer this token's (or has run out). */
  extendLock(service: string, token: string, ttlMs: number): Promise<boolean> {
    return this.run(`renewing the lock of ${service}`, () => {
      const expiry = this.expiry(ttlMs);
      return this.conditional(() => this.client.send(new (dynamoSdk().UpdateItemCommand)({
        TableName: this.table,
        Key: { [PARTITION_KEY]: S(this.key('lock', service)) },
        UpdateExpression: 'SET #exp = :exp, #ttl = :ttl',
        ConditionExpression: '#token = :token AND #exp > :now',
        ExpressionAttributeNames: { '#exp': EXPIRES_MS, '#ttl': TTL_ATTRIBUTE, '#token': 'token' },
        ExpressionAttributeValues: { ':now': N(this.now()), ':token': S(token), ':exp': expiry[EXPIRES_MS], ':ttl': expiry[TTL_ATTRIBUTE] },
      })));
    });
  }

  lockHolder(service: string): Promise<string | null> {
    return this.run(`reading the lock of ${service}`, async () => {
      const item = await this.getItem(this.key('lock', service));
      return this.live(item) ? item.token?.S ?? null : null;
    });
  }

  scaleTimes(services: string[]): Promise<Record<string, ScaleTimes>> {
    return this.run('reading scale times', async () => {
      const out: Record<string, ScaleTimes> = {};
      if (services.length === 0) return out;
      const items = await this.batchGet(services.map((s) => this.key('scaled', s)));
      for (const s of services) {
        const item = items.get(this.key('scaled', s));
        const live = this.live(item) ? item : undefined;
        const up = num(live?.up);
        const down = num(live?.down);
        out[s] = { ...(up !== undefined ? { lastScaleUpAt: up } : {}), ...(down !== undefined ? { lastScaleDownAt: down } : {}) };
      }
      return out;
    });
  }

  /**
   * Sets one direction's time and renews the item's life, as HSET + PEXPIRE: an UpdateItem on a
   * live (or absent) item; an expired one still stored is replaced whole (its other direction died
   * with it, as in Redis), conditional on its still being expired, and tried again otherwise.
   */
  recordScale(service: string, direction: 'up' | 'down', at: number): Promise<void> {
    return this.run(`recording the scale-${direction} of ${service}`, async () => {
      const pk = this.key('scaled', service);
      for (let attempt = 0; attempt < 3; attempt++) {
        const expiry = this.expiry(STATE_TTL_MS);
        const updated = await this.conditional(() => this.client.send(new (dynamoSdk().UpdateItemCommand)({
          TableName: this.table,
          Key: { [PARTITION_KEY]: S(pk) },
          UpdateExpression: 'SET #dir = :at, #exp = :exp, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#pk) OR #exp > :now',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#dir': direction, '#exp': EXPIRES_MS, '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':at': N(at), ':now': N(this.now()), ':exp': expiry[EXPIRES_MS], ':ttl': expiry[TTL_ATTRIBUTE] },
        })));
        if (updated) return;
        const replaced = await this.conditional(() => this.client.send(new (dynamoSdk().PutItemCommand)({
          TableName: this.table,
          Item: { [PARTITION_KEY]: S(pk), [direction]: N(at), ...expiry },
          ConditionExpression: '#exp <= :now',
          ExpressionAttributeNames: { '#exp': EXPIRES_MS },
          ExpressionAttributeValues: { ':now': N(this.now()) },
        })));
        if (replaced) return;
      }
      throw new Error('the item kept changing under three attempts');
    });
  }

  /** Task ARNs a scale-down protected (a set: duplicates kept once), so any exit path can clear them. */
  saveProtected(service: string, taskArns: string[], ttlMs: number): Promise<void> {
    return this.run(`recording the protected tasks of ${service}`, async () => {
      const pk = this.key('protected', service);
      const unique = [...new Set(taskArns)];
      if (unique.length === 0) return this.deleteItem(pk);
      await this.putValues([{ key: pk, value: unique, ttlMs, extra: { n: N(unique.length) }, what: `the ${unique.length} protected tasks of ${service}` }]);
    });
  }

  protectedTasks(service: string): Promise<string[]> {
    return this.run(`reading the protected tasks of ${service}`, async () => {
      const pk = this.key('protected', service);
      const blob = (await this.getValues([pk])).get(pk);
      if (!blob) return [];
      if (!blob.bytes) throw new Error('the stored list is torn (its parts do not match)');
      return unpack<string[]>(blob.bytes);
    });
  }

  clearProtected(service: string): Promise<void> {
    return this.run(`forgetting the protected tasks of ${service}`, () => this.deleteItem(this.key('protected', service)));
  }

  /** Written before the first cancel_consumer, removed when the cycle is done with the service. */
  saveDrain(service: string, record: DrainRecord): Promise<void> {
    return this.run(`recording the drain of ${service}`, () =>
      this.putValues([{ key: this.key('draining', service), value: record, ttlMs: DRAIN_RECORD_TTL_MS, what: `the drain record of ${service}` }]));
  }

  clearDrain(service: string): Promise<void> {
    return this.run(`forgetting the drain of ${service}`, () => this.deleteItem(this.key('draining', service)));
  }

  /** Every service's drain record (null where there is none, or where it cannot be read). */
  drainRecords(services: string[]): Promise<Record<string, DrainRecord | null>> {
    return this.run('reading drain records', async () => {
      if (services.length === 0) return {};
      const blobs = await this.getValues(services.map((s) => this.key('draining', s)));
      return Object.fromEntries(services.map((s) => [s, drainOf(blobs.get(this.key('draining', s)))]));
    });
  }

  /** A cycle's observation, from MeasureQueues to its ComputePlan (split if over an item's size). */
  saveObservation(execution: string, observation: Observation, ttlMs: number): Promise<void> {
    return this.run('keeping the measurement for ComputePlan', () =>
      this.putValues([{ key: this.key('observation', execution), value: observation, ttlMs, what: `the measurement of ${execution}` }]));
  }

  observation(execution: string): Promise<Observation | null> {
    return this.run('reading the measurement', async () => {
      const pk = this.key('observation', execution);
      const blob = (await this.getValues([pk])).get(pk);
      if (!blob) return null;
      // As StateStore's unreadable value: a failure, retried, not a lost measurement.
      if (!blob.bytes) throw new Error('the stored measurement is torn (its parts do not match)');
      return unpack<Observation>(blob.bytes);
    });
  }

  /** A scale-up that found the service held by a drain: the drain gives its busy workers back. */
  want(service: string, wanted: Wanted, ttlMs: number): Promise<void> {
    return this.run(`asking for ${wanted.to} workers of ${service}`, async () => {
      await this.client.send(new (dynamoSdk().PutItemCommand)({ TableName: this.table, Item: { [PARTITION_KEY]: S(this.key('wanted', service)), json: S(JSON.stringify(wanted)), ...this.expiry(ttlMs) } }));
    });
  }

  wanted(service: string): Promise<Wanted | null> {
    return this.run(`reading what ${service} is wanted at`, async () => {
      const item = await this.getItem(this.key('wanted', service));
      if (!this.live(item) || item.json?.S === undefined) return null;
      try {
        const w = JSON.parse(item.json.S) as Wanted | null;
        return w && typeof w.to === 'number' && typeof w.at === 'number' ? w : null;
      } catch {
        return null;
      }
    });
  }

  /**
   * Services that no cycle holds but that still carry a drain record or protected tasks: a cycle
   * died before cleaning up. Three keys per service, 100 keys a BatchGetItem.
   */
  leftovers(services: string[]): Promise<Leftovers[]> {
    return this.run('looking for leftovers of dead cycles', async () => {
      if (services.length === 0) return [];
      // Side by side, as StateStore's one pipeline: the locks and protection heads, and the drain records.
      const [heads, drains] = await Promise.all([
        this.batchGet(services.flatMap((s) => [this.key('lock', s), this.key('protected', s)])),
        this.getValues(services.map((s) => this.key('draining', s))),
      ]);
      const free = services.filter((s) => !this.live(heads.get(this.key('lock', s))));
      const out: Leftovers[] = [];
      for (const service of free) {
        const drain = drains.get(this.key('draining', service));
        const p = heads.get(this.key('protected', service));
        const protectedTasks = this.live(p) ? num(p.n) ?? 0 : 0;
        if (!drain && protectedTasks === 0) continue;
        out.push({ service, drain: drainOf(drain), protectedTasks });
      }
      return out;
    });
  }

  loadHistories<H>(services: string[]): Promise<Record<string, H | undefined>> {
    return this.run('reading planner history', async () => {
      const out: Record<string, H | undefined> = {};
      if (services.length === 0) return out;
      const blobs = await this.getValues(services.map((s) => this.key('history', s)));
      for (const s of services) {
        const blob = blobs.get(this.key('history', s));
        if (!blob) continue;
        try {
          if (!blob.bytes) throw new Error('torn');
          out[s] = unpack<H>(blob.bytes);
        } catch {
          // A corrupt (or torn) history only costs the rates: start over rather than fail every cycle.
          out[s] = undefined;
        }
      }
      return out;
    });
  }

  saveHistories<H>(histories: Record<string, H>): Promise<void> {
    return this.run('saving planner history', async () => {
      const entries = Object.entries(histories);
      if (entries.length === 0) return;
      await this.putValues(entries.map(([s, h]) => ({ key: this.key('history', s), value: h, ttlMs: STATE_TTL_MS, what: `the planner history of ${s}` })));
    });
  }
}

function drainOf(blob: Blob | undefined): DrainRecord | null {
  if (!blob?.bytes) return null;
  try {
    return parseDrain(unpack<unknown>(blob.bytes));
  } catch {
    return null; // unreadable: there is nothing we could give back
  }
}
