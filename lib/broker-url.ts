import type { SSMClient } from '@aws-sdk/client-ssm';
import { transportOf, transportOfUrl, type BrokerConfig } from './config';
import { dbConflict, dbOfUrl } from './config/broker-db';
import { AutoscalerError } from './errors';

export class BrokerUrlError extends AutoscalerError {}

/** For a local broker the URL can come without AWS at all: said wherever SSM cannot be read. */
const LOCAL_HINT = 'for a local broker pass --broker-url redis://HOST:6379/0 or set BROKER_URL';

/** The broker settings with the db the URL decides (its /N, else the config's db, else 0). */
export function brokerForUrl(broker: BrokerConfig, url: string): BrokerConfig & { db: number } {
  const conflict = dbConflict(broker.db, url);
  if (conflict) throw new BrokerUrlError(conflict);
  return { ...broker, db: dbOfUrl(url) ?? broker.db ?? 0 };
}

let cached: { parameter: string; url: string; until: number } | null = null;
const CACHE_MS = 5 * 60 * 1000;

/**
 * The broker URL: BROKER_URL in the environment (local runs), the config's `url`, or the SSM
 * SecureString named by `urlParameter`, read with decryption and cached for five minutes.
 */
export async function resolveBrokerUrl(broker: BrokerConfig, now = Date.now(), ssm?: SSMClient): Promise<string> {
  if (process.env.BROKER_URL) return process.env.BROKER_URL;
  if (broker.url) return broker.url;
  const parameter = broker.urlParameter as string;
  if (cached && cached.parameter === parameter && cached.until > now) return cached.url;
  // Loaded only here: a URL from BROKER_URL, --broker-url or the config never needs the SSM client.
  const sdk = await import('@aws-sdk/client-ssm');
  const client = ssm ?? new sdk.SSMClient({});
  let value: string | undefined;
  try {
    const out = await client.send(new sdk.GetParameterCommand({ Name: parameter, WithDecryption: true }));
    value = out.Parameter?.Value;
  } catch (e) {
    throw new BrokerUrlError(`cannot read SSM parameter ${parameter}: ${(e as Error).name}: ${(e as Error).message} — check broker.urlParameter, the region (AWS_REGION) and credentials; ${LOCAL_HINT}`);
  }
  const expected = transportOf(broker);
  const held = value ? transportOfUrl(value) : null;
  if (!value || held === null) {
    throw new BrokerUrlError(`SSM parameter ${parameter} does not hold a redis://, rediss://, amqp://, amqps:// or pyamqp:// URL`);
  }
  if (held !== expected) {
    throw new BrokerUrlError(`SSM parameter ${parameter} holds ${held === 'amqp' ? 'an amqp' : 'a redis'} URL but broker.transport is ${expected}: set broker.transport: ${held}`);
  }
  cached = { parameter, url: value, until: now + CACHE_MS };
  return value;
}

/** For logs and errors: the URL without its password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}
