import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// `serverless package` in a copy of the repository with the config under test: a mistake is one
// line and a non-zero exit, and a broker the Lambdas could not reach from outside a VPC stops it.

const exec = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const COPIED = ['serverless.yml', 'package.json', 'tsconfig.json', 'scripts', 'lib', 'functions', 'statemachines', 'types'];
let dir: string;

const config = (broker: string, maxWorkers = 4, extra: string[] = []) => [
  `broker: { ${broker} }`,
  ...extra,
  'services:',
  `  web: { cluster: c, service: s, queues: [q], maxWorkers: ${maxWorkers}, tasksPerWorkerPerMinute: 10 }`,
].join('\n');

async function sls(configText: string, ...params: string[]) {
  writeFileSync(join(dir, 'autoscaler.config.yml'), configText);
  rmSync(join(dir, '.serverless'), { recursive: true, force: true });
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  return exec(process.execPath, [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'package', '--stage', 'guard', ...params.map((p) => `--param=${p}`)], { cwd: dir, env, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );
}

const template = () => JSON.parse(readFileSync(join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'));
const vpcOf = (t: { Resources: Record<string, { Type: string; Properties: { VpcConfig?: { SubnetIds: string[] } } }> }) =>
  Object.values(t.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.VpcConfig?.SubnetIds ?? null);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-guard-'));
  for (const f of COPIED) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serverless package: guard rails', () => {
  test.each([
    ['an invalid config: the validation message', config('url: "redis://127.0.0.1:6379/0"', -1), [], /^error: invalid config .*autoscaler\.config\.yml: services\.web\.maxWorkers: must be ≥ 0(; .*)?$/],
    ['an ElastiCache broker without subnetIds', config('url: "rediss://master.prod-cache.abc123.use1.cache.amazonaws.com:6379/0"'), [], /^error: the broker master\.prod-cache\.abc123\.use1\.cache\.amazonaws\.com is an ElastiCache endpoint, reachable only from its VPC, and without subnetIds .*--param="subnetIds=subnet-a,subnet-b" --param="securityGroupIds=sg-…".*--param="brokerOutsideVpc=true"$/],
    ['a private address without subnetIds', config('url: "redis://10.0.3.7:6379/0"'), [], /^error: the broker's address 10\.0\.3\.7 is private \(10\.0\.0\.0\/8\), and without subnetIds/],
    ['a URL in SSM without subnetIds', config('urlParameter: /celery-autoscaler/broker-url'), [], /^error: the broker URL is in SSM \(\/celery-autoscaler\/broker-url\), so its host cannot be checked at package time/],
    ['subnetIds without securityGroupIds', config('url: "redis://10.0.3.7:6379/0"'), ['subnetIds=subnet-1'], /^error: param securityGroupIds is required when subnetIds is set/],
  ])('%s: one line, exit 1', async (_name, text, params, message) => {
    const r = await sls(text, ...params);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(r.stdout.trim()).toBe('');
  });

  test('a local or public broker packages outside a VPC; the opt-out and subnetIds package too', async () => {
    for (const url of ['redis://localhost:6379/0', 'rediss://default:pw@eu1-fine-cat-33333.upstash.io:6379']) {
      const r = await sls(config(`url: "${url}"`));
      expect({ url, code: r.code }).toEqual({ url, code: 0 });
      expect(r.stderr).toMatch(/Service packaged/);
      expect(new Set(vpcOf(template()))).toEqual(new Set([null]));
    }
    // The one read that notices ECS Service Auto Scaling: "*" is the only Resource it takes, and check-iam refuses any other such action.
    const t = template();
    const statements = t.Resources.IamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown }[];
    expect(statements.filter((st) => st.Action.some((a) => a.startsWith('application-autoscaling:')))).toEqual([{ Effect: 'Allow', Action: ['application-autoscaling:DescribeScalableTargets'], Resource: '*' }]);
    const checkIam = (file: string) => exec(process.execPath, [join(ROOT, 'scripts', 'check-iam.js'), file]).then(() => 0, (e) => e.code as number);
    const file = join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(t));
    expect(await checkIam(file)).toBe(0);
    statements.push({ Effect: 'Allow', Action: ['application-autoscaling:RegisterScalableTarget'], Resource: '*' } as never);
    writeFileSync(file, JSON.stringify(t));
    expect(await checkIam(file)).toBe(1);
    expect((await sls(config('urlParameter: /b'), 'brokerOutsideVpc=true')).code).toBe(0);
    const r = await sls(config('url: "redis://10.0.3.7:6379/0"'), 'subnetIds=subnet-1,subnet-2', 'securityGroupIds=sg-1');
    expect(r.code).toBe(0);
    expect(new Set(vpcOf(template()).map((s) => JSON.stringify(s)))).toEqual(new Set([JSON.stringify(['subnet-1', 'subnet-2'])]));
  });

  test('state in DynamoDB: the stack makes the table (on-demand, TTL) unless one is named, and the role reaches that table with six item calls', async () => {
    type Statement = { Action: string[]; Resource: unknown };
    const statementsOf = (t: { Resources: Record<string, { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }> }) => t.Resources.IamRoleLambdaExecution.Properties.Policies?.[0].PolicyDocument.Statement ?? [];
    const stateTableEnv = (t: { Resources: Record<string, { Type: string; Properties: { Environment?: { Variables: Record<string, string> } } }> }) =>
      new Set(Object.values(t.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Environment?.Variables.STATE_TABLE));
    const deployerPolicy = async () => JSON.parse((await exec(process.execPath, [join(ROOT, 'scripts', 'deployer-policy.js'), join(dir, '.serverless', 'cloudformation-template-update-stack.json')])).stdout) as { Statement: { Sid: string }[] };
    const ITEM_CALLS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'];

    // Redis state (the default with a Redis broker): no table, no DynamoDB permission, none asked of the deployer.
    expect((await sls(config('url: "redis://localhost:6379/0"'))).code).toBe(0);
    let t = template();
    expect(t.Conditions.CreateStateTable).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(statementsOf(t).filter((st) => st.Action.some((a) => a.startsWith('dynamodb:')))).toEqual([]);
    expect(stateTableEnv(t)).toEqual(new Set(['']));
    expect((await deployerPolicy()).Statement.map((st) => st.Sid)).not.toContain('StateTable');

    // DynamoDB state, no table named: the stack creates one for the stage.
    expect((await sls(config('url: "redis://localhost:6379/0"', 4, ['state: { store: dynamodb }']))).code).toBe(0);
    t = template();
    expect(t.Conditions.CreateStateTable).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(t.Resources.StateTable).toMatchObject({
      Type: 'AWS::DynamoDB::Table', Condition: 'CreateStateTable',
      Properties: { TableName: 'celery-autoscaler-guard-state', BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    });
    expect(stateTableEnv(t)).toEqual(new Set(['celery-autoscaler-guard-state']));
    expect(statementsOf(t).filter((st) => st.Action.some((a) => a.startsWith('dynamodb:')))).toEqual([
      { Effect: 'Allow', Action: ITEM_CALLS, Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/celery-autoscaler-guard-state' }] },
    ]);
    expect((await deployerPolicy()).Statement.map((st) => st.Sid)).toContain('StateTable');

    // A table named in the config: used, not created, and the only one the role reaches.
    expect((await sls(config('url: "redis://localhost:6379/0"', 4, ['state: { store: dynamodb, table: shared-autoscaler-state }']))).code).toBe(0);
    t = template();
    expect(t.Conditions.CreateStateTable).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(stateTableEnv(t)).toEqual(new Set(['shared-autoscaler-state']));
    expect(JSON.stringify(statementsOf(t))).toContain('table/shared-autoscaler-state"');

    // check-iam refuses DynamoDB calls on every table, or a Scan.
    const checkIam = (file: string) => exec(process.execPath, [join(ROOT, 'scripts', 'check-iam.js'), file]).then(() => 0, (e) => e.code as number);
    const file = join(dir, 'template.json');
    statementsOf(t).push({ Effect: 'Allow', Action: ['dynamodb:Scan'], Resource: '*' } as never);
    writeFileSync(file, JSON.stringify(t));
    expect(await checkIam(file)).toBe(1);
  });
});
