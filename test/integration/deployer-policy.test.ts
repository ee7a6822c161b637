import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deployerPolicy } = require('../../scripts/deployer-policy.js') as { deployerPolicy: (template: unknown) => unknown };

describe('the deployer\'s IAM policy in docs/runbook.md', () => {
  let dir: string;
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  test('is what scripts/deployer-policy.js makes of the packaged template (serverless package, offline)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'deployer-policy-'));
    // Packaged as deployed, into the broker's VPC (placeholder ids: packaging checks none).
    await run('npx', ['serverless', 'package', '--stage', 'policy', '--package', dir, '--param=subnetIds=subnet-0c100000000000001', '--param=securityGroupIds=sg-0c100000000000001'], { cwd: ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } });
    const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    const block = /<!-- deployer-policy -->\n```json\n([\s\S]*?)```\n<!-- \/deployer-policy -->/.exec(runbook);
    expect(block).not.toBeNull();
    expect(JSON.parse((block as RegExpExecArray)[1])).toEqual(deployerPolicy(template));
  }, 240_000);

  test('a resource type the script does not know is an error, not a policy that forgot it', () => {
    expect(() => deployerPolicy({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } })).toThrow(/does not know AWS::SQS::Queue/);
  });
});
