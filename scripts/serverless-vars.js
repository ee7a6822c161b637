// Values serverless.yml derives from autoscaler.config.yml at package time, so IAM is scoped to
// exactly the configured ECS services and the one broker parameter. Plain CommonJS: Serverless
// v3 loads it with require(); the config is validated with the same schema the Lambdas use.
require('tsx/cjs');
const { loadConfigFile } = require('../lib/config/load.ts');
const { privateBrokerHost } = require('../lib/config/broker-reach.ts');
const { stateStoreOf } = require('../lib/config/schema.ts');
const { STATE_TABLE, STATE_TABLE_ACTIONS } = require('../lib/state/dynamo.ts');
const { METRICS_NAMESPACE, POWERTOOLS_SERVICE, MetricName, Dimension } = require('../lib/lambda/metric-names.ts');
const { join } = require('node:path');

// Under `serverless package|deploy` a mistake is one line and exit 1: thrown from here, Serverless
// v3 wraps it with its banner and a stack trace per variable that used the config (63 lines).
const underServerless = () => /[\\/](serverless|sls)(\.js)?$/.test(process.argv[1] || '');
function fail(message) {
  if (!underServerless()) throw new Error(message);
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

let loaded = null;
const config = () => {
  try {
    return (loaded ??= loadConfigFile(join(__dirname, '..', process.env.AUTOSCALER_CONFIG_FILE || 'autoscaler.config.yml')));
  } catch (e) {
    return fail(e.message);
  }
};

const sub = (s) => ({ 'Fn::Sub': s });
const clusterName = (c) => c.split('/').pop();

function services() {
  return Object.values(config().services);
}

module.exports.serviceArns = () =>
  services().map((s) => sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:service/${clusterName(s.cluster)}/${s.service}`));

module.exports.taskArns = () =>
  [...new Set(services().map((s) => clusterName(s.cluster)))].map((c) => sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task/${c}/*`));

module.exports.clusterArns = () =>
  [...new Set(services().map((s) => clusterName(s.cluster)))].map((c) => sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:cluster/${c}`));

function ssmStatements() {
  const p = config().broker.urlParameter;
  if (!p) return [];
  const name = p.startsWith('/') ? p.slice(1) : p;
  return [{ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${name}`)] }];
}

// To notice ECS Service Auto Scaling on a configured service (lib/ecs/other-autoscaling.ts). The
// Service Authorization Reference lists no resource type and no condition key for
// DescribeScalableTargets (as for every Application Auto Scaling Describe*), so "*" is the only
// Resource it takes: this one read-only action, and only when some service does not allow another autoscaler.
function otherAutoscalingStatements() {
  if (services().every((s) => s.allowOtherAutoscaling)) return [];
  return [{ Effect: 'Allow', Action: ['application-autoscaling:DescribeScalableTargets'], Resource: '*' }];
}

// State in DynamoDB (`state.store`, the default with RabbitMQ): the configured table, else one this
// stack creates for the stage (serverless.yml, StateTable). The Lambdas get its name as STATE_TABLE.
const stateInDynamo = () => stateStoreOf(config()) === 'dynamodb';
const stateTableOf = (stage) => config().state.table ?? `celery-autoscaler-${stage}-state`;
const stage = async (resolveVariable) => String(await resolveVariable('sls:stage'));

module.exports.stateTableName = async ({ resolveVariable }) => (stateInDynamo() ? stateTableOf(await stage(resolveVariable)) : '');

// 'true' only when this stack must create the table (CloudFormation Condition CreateStateTable).
module.exports.createStateTable = () => String(stateInDynamo() && config().state.table === undefined);

// On-demand, a string partition key, DynamoDB's TTL on expiresAt: lib/state/dynamo.ts STATE_TABLE.
module.exports.stateTableProperties = async ({ resolveVariable }) => ({ TableName: stateTableOf(await stage(resolveVariable)), ...STATE_TABLE });

// The six item calls lib/state/dynamo.ts makes (STATE_TABLE_ACTIONS, checked against its calls by
// test/integration/state-conformance.test.ts), on the one table: no Scan, no Query, no table calls.
async function stateStatements(resolveVariable) {
  if (!stateInDynamo()) return [];
  const table = stateTableOf(await stage(resolveVariable));
  return [{ Effect: 'Allow', Action: [...STATE_TABLE_ACTIONS], Resource: [sub(`arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${table}`)] }];
}

module.exports.iamStatements = async ({ resolveVariable }) => [
  { Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: module.exports.serviceArns() },
  { Effect: 'Allow', Action: ['ecs:DescribeTasks', 'ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'], Resource: module.exports.taskArns() },
  // ListTasks has no task resource to scope by; it is limited to the configured clusters.
  { Effect: 'Allow', Action: ['ecs:ListTasks'], Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': module.exports.clusterArns() } } },
  ...otherAutoscalingStatements(),
  ...ssmStatements(),
  ...(await stateStatements(resolveVariable)),
];

module.exports.hardMaxWorkers = () => config().hardMaxWorkers;

const list = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);

// VPC only when subnets are given. Without them the Lambdas run outside any VPC and reach only a
// public broker: a broker that lives in a VPC (ElastiCache, a private address or name), or one whose
// URL is in SSM and so cannot be checked here, stops the package with the fix, unless
// brokerOutsideVpc=true says it is reachable from the internet.
module.exports.vpc = async ({ resolveVariable }) => {
  const subnetIds = list(await resolveVariable('param:subnetIds'));
  const securityGroupIds = list(await resolveVariable('param:securityGroupIds'));
  if (subnetIds.length > 0 && securityGroupIds.length === 0) return fail('param securityGroupIds is required when subnetIds is set: --param="securityGroupIds=sg-…"');
  if (subnetIds.length > 0) return { subnetIds, securityGroupIds };
  if (String(await resolveVariable('param:brokerOutsideVpc')) === 'true') return null;
  const { broker } = config();
  const why = broker.url ? privateBrokerHost(broker.url) : `the broker URL is in SSM (${broker.urlParameter}), so its host cannot be checked at package time`;
  if (why) {
    fail(`${why}, and without subnetIds the Lambdas run outside any VPC and cannot reach it: deploy them into the broker's VPC with --param="subnetIds=subnet-a,subnet-b" --param="securityGroupIds=sg-…" (a security group the broker accepts on its port), or, for a broker reachable from the internet, --param="brokerOutsideVpc=true"`);
  }
  return null;
};

module.exports.scheduleState = async ({ resolveVariable }) =>
  String(await resolveVariable('param:scheduleEnabled')) === 'false' ? 'DISABLED' : 'ENABLED';

module.exports.alarmActions = async ({ resolveVariable }) => list(await resolveVariable('param:alarmTopicArn'));

// The dashboard and the drain alarm graph the metrics the handlers emit (lib/lambda/metric-names.ts).
const ours = (name, workerService, extra = []) => [METRICS_NAMESPACE, name, Dimension.service, POWERTOOLS_SERVICE, Dimension.workerService, workerService, ...extra];
const states = (name) => ['AWS/States', name, 'StateMachineArn', '${AutoscalerStateMachine}'];
const widget = (title, metrics, extra = {}) => ({
  type: 'metric', width: 12, height: 6,
  properties: { title, region: '${AWS::Region}', view: 'timeSeries', period: 60, stat: 'Maximum', metrics, ...extra },
});

function serviceWidget(name, s) {
  return widget(`${name}: backlog vs workers`, [
    ...s.queues.map((q) => [...ours(MetricName.PendingMessages, name, [Dimension.queue, q]), { label: `pending ${q}` }]),
    [...ours(MetricName.InFlightTasks, name), { label: 'in flight' }],
    [...ours(MetricName.DesiredWorkers, name), { label: 'desired workers', yAxis: 'right' }],
    [...ours(MetricName.RunningWorkers, name), { label: 'running workers', yAxis: 'right' }],
  ], { yAxis: { left: { label: 'tasks', min: 0 }, right: { label: 'workers', min: 0 } } });
}

// A JSON string with ${AWS::Region} and ${AutoscalerStateMachine} (its ARN) filled by Fn::Sub.
module.exports.dashboardBody = () => {
  const services = Object.entries(config().services);
  const widgets = [
    ...services.map(([name, s]) => serviceWidget(name, s)),
    widget('cycles', [
      [...states('ExecutionsSucceeded'), { label: 'succeeded', color: '#2ca02c' }],
      [...states('ExecutionsFailed'), { label: 'failed', color: '#d62728' }],
      [...states('ExecutionsTimedOut'), { label: 'timed out' }],
    ], { stat: 'Sum', period: 300 }),
    widget('drains: duration (s) and timeouts', [
      ...services.map(([name]) => [...ours(MetricName.DrainDuration, name), { label: `${name} drain seconds` }]),
      ...services.map(([name]) => [...ours(MetricName.DrainTimeouts, name), { label: `${name} timeouts`, stat: 'Sum', yAxis: 'right' }]),
    ], { period: 300 }),
    widget('scale actions and measure latency (ms)', [
      ...services.map(([name]) => [...ours(MetricName.ScaleActions, name), { label: `${name} scale actions`, stat: 'Sum' }]),
      [METRICS_NAMESPACE, MetricName.MeasureLatency, Dimension.service, POWERTOOLS_SERVICE, { label: 'measure latency', yAxis: 'right' }],
    ], { period: 300 }),
  ];
  return { 'Fn::Sub': JSON.stringify({ widgets }) };
};

// One alarm over every service's drain timeouts: the sum of each service's metric.
module.exports.drainTimeoutMetrics = () => {
  const names = Object.keys(config().services);
  return [
    ...names.map((name, i) => ({
      Id: `s${i}`, ReturnData: false, Label: name,
      MetricStat: { Stat: 'Sum', Period: 300, Metric: { Namespace: METRICS_NAMESPACE, MetricName: MetricName.DrainTimeouts, Dimensions: [{ Name: Dimension.service, Value: POWERTOOLS_SERVICE }, { Name: Dimension.workerService, Value: name }] } },
    })),
    { Id: 'timeouts', Label: 'drain timeouts (all services)', ReturnData: true, Expression: `SUM([${names.map((_, i) => `FILL(s${i}, 0)`).join(', ')}])` },
  ];
};
