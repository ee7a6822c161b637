import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rabbitmqUserCommands } from '../../lib/amqp/permissions';

// As the Redis ACL line (test/integration/broker-acl.test.ts): the runbook's rabbitmqctl lines are
// what lib/amqp/permissions.ts builds, for the shipped config's vhost `/`, so the two cannot drift.
test('the runbook gives the rabbitmqctl lines lib/amqp/permissions.ts builds for vhost /', () => {
  const runbook = readFileSync(join(__dirname, '..', '..', 'docs', 'runbook.md'), 'utf8');
  const section = /## A least-privilege RabbitMQ user\n([\s\S]*?)\n## /.exec(runbook)?.[1] ?? '';
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBe(`${rabbitmqUserCommands('autoscaler', '/').join('\n')}\n`);
});
