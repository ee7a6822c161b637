// The IAM policy the person deploying (and removing) the stack needs, generated from what the
// packaged template creates: `npx serverless package --stage <stage>`, then
// `node scripts/deployer-policy.js [.serverless/cloudformation-template-update-stack.json]`.
// Each resource type the template holds maps to the calls CloudFormation makes for it, on this
// service's names only; a type this script does not know is an error, so a new kind of resource
// cannot be deployed with a policy that forgot it. docs/runbook.md holds the output (a test
// compares them).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

/** serverless.yml's `service:`: every name the stack creates starts with it (and the stage). */
function serviceName() {
  const m = /^service:\s*([\w-]+)\s*$/m.exec(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'));
  if (!m) throw new Error('serverless.yml has no service: line');
  return m[1];
}

/** Per resource type: [Sid, actions, resources], `S` being the service name. */
const BY_TYPE = {
  'AWS::S3::Bucket': ['DeploymentBucket', ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration', 's3:ListBucket', 's3:GetBucketLocation', 's3:PutObject', 's3:GetObject', 's3:DeleteObject'],
    (S) => [`arn:aws:s3:::${S}-*-serverlessdeploymentbuck*`, `arn:aws:s3:::${S}-*-serverlessdeploymentbuck*/*`]],
  'AWS::S3::BucketPolicy': ['DeploymentBucketPolicy', ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
    (S) => [`arn:aws:s3:::${S}-*-serverlessdeploymentbuck*`]],
  'AWS::Logs::LogGroup': ['LogGroups', ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource'],
    (S) => [`arn:aws:logs:*:*:log-group:/aws/lambda/${S}-*`]],
  'AWS::IAM::Role': ['Roles', ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:PassRole'],
    (S) => [`arn:aws:iam::*:role/${S}-*`]],
  'AWS::Lambda::Function': ['Functions', ['lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags'],
    (S) => [`arn:aws:lambda:*:*:function:${S}-*`]],
  'AWS::Lambda::Version': ['FunctionVersions', ['lambda:PublishVersion', 'lambda:ListVersionsByFunction', 'lambda:DeleteFunction'],
    (S) => [`arn:aws:lambda:*:*:function:${S}-*`]],
  'AWS::StepFunctions::StateMachine': ['StateMachine', ['states:CreateStateMachine', 'states:UpdateStateMachine', 'states:DeleteStateMachine', 'states:DescribeStateMachine', 'states:TagResource', 'states:UntagResource', 'states:ListTagsForResource'],
    (S) => [`arn:aws:states:*:*:stateMachine:${S}-*`]],
  'AWS::Scheduler::Schedule': ['Schedule', ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
    (S) => [`arn:aws:scheduler:*:*:schedule/default/${S}-*`]],
  'AWS::CloudWatch::Alarm': ['Alarms', ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource'],
    (S) => [`arn:aws:cloudwatch:*:*:alarm:${S}-*`]],
  // The calls the resource type's handlers make (its CloudFormation registry schema), on this service's tables.
  'AWS::DynamoDB::Table': ['StateTable', ['dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive', 'dynamodb:UpdateTimeToLive', 'dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups', 'dynamodb:DescribeContributorInsights', 'dynamodb:UpdateContributorInsights', 'dynamodb:DescribeKinesisStreamingDestination', 'dynamodb:GetResourcePolicy', 'dynamodb:ListTagsOfResource', 'dynamodb:TagResource', 'dynamodb:UntagResource'],
    (S) => [`arn:aws:dynamodb:*:*:table/${S}-*`]],
  'AWS::CloudWatch::Dashboard': ['Dashboard', ['cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards'],
    (S) => [`arn:aws:cloudwatch::*:dashboard/${S}-*`]],
};

/** The policy for a packaged template: the stack itself, then one statement per resource type, in a fixed order. */
function deployerPolicy(template, service = serviceName()) {
  // A resource under a condition that compares two different literals is never created (the
  // state table when state lives in Redis): it needs no permission.
  const never = (cond) => {
    const eq = template.Conditions?.[cond]?.['Fn::Equals'];
    return Array.isArray(eq) && eq.every((x) => typeof x === 'string') && eq[0] !== eq[1];
  };
  const types = [...new Set(Object.values(template.Resources).filter((r) => !(r.Condition && never(r.Condition))).map((r) => r.Type))];
  const unknown = types.filter((t) => !BY_TYPE[t]);
  if (unknown.length > 0) throw new Error(`scripts/deployer-policy.js does not know ${unknown.join(', ')}: add the calls CloudFormation makes for it`);
  const statements = [
    { Sid: 'Stack', Effect: 'Allow', Action: ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResource', 'cloudformation:DescribeStackResources', 'cloudformation:ListStackResources', 'cloudformation:GetTemplate', 'cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet'], Resource: [`arn:aws:cloudformation:*:*:stack/${service}-*/*`] },
    // No resource-level permissions exist for these: read-only, account-wide by AWS's design.
    { Sid: 'Unscoped', Effect: 'Allow', Action: ['cloudformation:ValidateTemplate', 'logs:DescribeLogGroups', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'], Resource: ['*'] },
  ];
  for (const type of Object.keys(BY_TYPE).filter((t) => types.includes(t))) {
    const [Sid, Action, resources] = BY_TYPE[type];
    statements.push({ Sid, Effect: 'Allow', Action, Resource: resources(service) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

module.exports = { deployerPolicy };

if (require.main === module) {
  const file = process.argv[2] || join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
  process.stdout.write(`${JSON.stringify(deployerPolicy(JSON.parse(readFileSync(file, 'utf8'))), null, 2)}\n`);
}
