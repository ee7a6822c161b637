import { redactUrl, resolveBrokerUrl } from '../lib/broker-url';
import { openBrokerClient, type BrokerClient } from '../lib/broker';
import type { AutoscalerConfig } from '../lib/config';
import { brokerUrlProblem } from '../lib/config/broker-db';
import { BrokerUnavailableError, ValidationError } from '../lib/errors';

/** The broker URL a command uses: --broker-url, else BROKER_URL, the config's url or its SSM parameter. */
export async function brokerUrl(config: AutoscalerConfig, flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  const problem = process.env.BROKER_URL ? brokerUrlProblem(process.env.BROKER_URL) : null;
  if (problem) throw new ValidationError('BROKER_URL', [problem]);
  return resolveBrokerUrl(config.broker);
}

/**
 * Waits for the broker before anything else reads it, so a broker that is not there is said in
 * the user's words: the URL they gave (without its password) and why, not the first internal
 * read that happened to fail.
 */
export async function reachBroker(broker: Pick<BrokerClient, 'reach'>, url: string): Promise<void> {
  try {
    await broker.reach();
  } catch (e) {
    const why = (e as Error).message;
    if (e instanceof BrokerUnavailableError && /^broker authentication failed/.test(why)) throw e;
    throw new BrokerUnavailableError(`the broker at ${redactUrl(url)} is not reachable: ${why.replace(/^broker not reachable: /, '')}`);
  }
}

/** The broker the URL names (Redis on the db its /N decides, or RabbitMQ), connected on first use. */
export function openBroker(config: AutoscalerConfig, url: string): BrokerClient {
  return openBrokerClient(config.broker, url);
}
