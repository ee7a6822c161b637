// Values serverless.yml derives from autoscaler.config.yml at package time, so IAM is scoped to
// exactly the configured ECS services and the one broker parameter. Plain CommonJS: Serverless
// v3 loads it with require(); the config is validated with the same schema the Lambdas use.
require('tsx/cjs');
const { loadConfigFile } = require('../lib/config/load.ts');
const { join } = require('node:path');

const config = () => loadConfigFile(join(__dirname, '..', process.env.AUTOSCALER_CONFIG_FILE || 'autoscaler.config.yml'));

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

module.exports.iamStatements = () => [
  { Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: module.exports.serviceArns() },
  { Effect: 'Allow', Action: ['ecs:DescribeTasks', 'ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'], Resource: module.exports.taskArns() },
  // ListTasks has no task resource to scope by; it is limited to the configured clusters.
  { Effect: 'Allow', Action: ['ecs:ListTasks'], Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': module.exports.clusterArns() } } },
  ...ssmStatements(),
];

module.exports.hardMaxWorkers = () => config().hardMaxWorkers;

const list = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);

// VPC only when subnets are given: the broker (ElastiCache) is usually private.
module.exports.vpc = async ({ resolveVariable }) => {
  const subnetIds = list(await resolveVariable('param:subnetIds'));
  const securityGroupIds = list(await resolveVariable('param:securityGroupIds'));
  if (subnetIds.length === 0) return null;
  if (securityGroupIds.length === 0) throw new Error('param securityGroupIds is required when subnetIds is set');
  return { subnetIds, securityGroupIds };
};

module.exports.scheduleState = async ({ resolveVariable }) =>
  String(await resolveVariable('param:scheduleEnabled')) === 'false' ? 'DISABLED' : 'ENABLED';

module.exports.alarmActions = async ({ resolveVariable }) => list(await resolveVariable('param:alarmTopicArn'));
