import { loadConfigFile } from '../lib/config/load';
import { aclSetuserCommand } from '../lib/celery/acl';

/**
 * `npx tsx scripts/broker-acl.ts [--config autoscaler.config.yml] [--stage prod] [--user autoscaler]`:
 * the redis-cli `ACL SETUSER` arguments for the autoscaler's least-privilege broker user (password
 * left as PASSWORD). The runbook's line is this script's output for the shipped config, stage prod.
 */
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
process.stdout.write(`${aclSetuserCommand(loadConfigFile(arg('config', 'autoscaler.config.yml')), arg('stage', 'prod'), arg('user', 'autoscaler'))}\n`);
