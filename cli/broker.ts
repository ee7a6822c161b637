import { brokerForUrl, resolveBrokerUrl } from '../lib/broker-url';
import { connectBroker } from '../lib/celery/connection';
import { CeleryControl } from '../lib/celery/control';
import type { AutoscalerConfig } from '../lib/config';
import { brokerUrlProblem } from '../lib/config/broker-db';
import { ValidationError } from '../lib/errors';

/** The broker URL a command uses: --broker-url, else BROKER_URL, the config's url or its SSM parameter. */
export async function brokerUrl(config: AutoscalerConfig, flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  const problem = process.env.BROKER_URL ? brokerUrlProblem(process.env.BROKER_URL) : null;
  if (problem) throw new ValidationError('BROKER_URL', [problem]);
  return resolveBrokerUrl(config.broker);
}

/** A connection and a control client on the db the URL decides. */
export function openBroker(config: AutoscalerConfig, url: string) {
  const broker = brokerForUrl(config.broker, url);
  const redis = connectBroker(broker, url);
  return { broker, redis, control: new CeleryControl(redis, broker) };
}
