import { brokerForUrl, resolveBrokerUrl } from '../lib/broker-url';
import { connectBroker } from '../lib/celery/connection';
import { CeleryControl } from '../lib/celery/control';
import type { AutoscalerConfig } from '../lib/config';

/** The broker URL a command uses: --broker-url, else BROKER_URL, the config's url or its SSM parameter. */
export function brokerUrl(config: AutoscalerConfig, flag: string | undefined): Promise<string> {
  return flag !== undefined ? Promise.resolve(flag) : resolveBrokerUrl(config.broker);
}

/** A connection and a control client on the db the URL decides. */
export function openBroker(config: AutoscalerConfig, url: string) {
  const broker = brokerForUrl(config.broker, url);
  const redis = connectBroker(broker, url);
  return { broker, redis, control: new CeleryControl(redis, broker) };
}
