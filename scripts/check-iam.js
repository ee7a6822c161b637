// Fails when the packaged template grants an ECS write on "*" (least privilege is checked, not
// hoped), any Application Auto Scaling action but the one read DescribeScalableTargets, or lacks
// the dashboard and the alarms an operator relies on.
const { readFileSync } = require('node:fs');
const file = process.argv[2] || '.serverless/cloudformation-template-update-stack.json';
const template = JSON.parse(readFileSync(file, 'utf8'));
const ECS_WRITES = ['ecs:UpdateService', 'ecs:UpdateTaskProtection', 'ecs:StopTask', 'ecs:*'];
const problems = [];
let ecsStatements = 0;
for (const [name, res] of Object.entries(template.Resources)) {
  if (res.Type !== 'AWS::IAM::Role') continue;
  for (const policy of res.Properties.Policies || []) {
    for (const st of policy.PolicyDocument.Statement || []) {
      const actions = [].concat(st.Action || []);
      const resources = [].concat(st.Resource || []);
      if (actions.some((a) => String(a).startsWith('ecs:'))) ecsStatements += 1;
      if (actions.some((a) => ECS_WRITES.includes(a)) && resources.some((r) => r === '*')) {
        problems.push(`${name}: ${actions.join(',')} on "*"`);
      }
      if (actions.includes('*')) problems.push(`${name}: Action "*"`);
      // State in DynamoDB: item calls on one table, never "*" nor a table-wide Scan or Query.
      const ddb = actions.filter((a) => String(a).startsWith('dynamodb:'));
      if (ddb.length > 0 && resources.some((r) => r === '*' || /table\/\*/.test(JSON.stringify(r)))) problems.push(`${name}: ${ddb.join(',')} on every table`);
      if (ddb.some((a) => ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:*'].includes(a))) problems.push(`${name}: ${ddb.join(',')}: the state store reads by key only`);
      // Only the read that notices ECS Service Auto Scaling; no write could ever be needed.
      const aas = actions.filter((a) => String(a).startsWith('application-autoscaling:'));
      if (aas.some((a) => a !== 'application-autoscaling:DescribeScalableTargets')) problems.push(`${name}: ${aas.join(',')}: only application-autoscaling:DescribeScalableTargets is needed`);
    }
  }
}
if (ecsStatements === 0) problems.push('no ECS statement found: the role is not the one expected');

const ofType = (type) => Object.values(template.Resources).filter((r) => r.Type === type);
const dashboards = ofType('AWS::CloudWatch::Dashboard').map((d) => JSON.stringify(d.Properties.DashboardBody));
if (!dashboards.some((b) => b.includes('backlog vs workers') && b.includes('PendingMessages') && b.includes('DesiredWorkers'))) {
  problems.push('no dashboard graphing backlog (PendingMessages) against workers (DesiredWorkers)');
}
const alarms = ofType('AWS::CloudWatch::Alarm').map((a) => JSON.stringify(a.Properties));
for (const metric of ['ExecutionsFailed', 'DrainTimeouts']) {
  if (!alarms.some((a) => a.includes(`"${metric}"`) && a.includes('AlarmActions'))) problems.push(`no alarm on ${metric} (with AlarmActions)`);
}
if (problems.length > 0) {
  console.error(`IAM check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`IAM check: ${ecsStatements} ECS statements, no ECS write on "*"; dashboard and ${alarms.length} alarms present`);
