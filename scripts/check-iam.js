// Fails when the packaged template grants an ECS write on "*": least privilege is checked, not hoped.
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
    }
  }
}
if (ecsStatements === 0) problems.push('no ECS statement found: the role is not the one expected');
if (problems.length > 0) {
  console.error(`IAM check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`IAM check: ${ecsStatements} ECS statements, no ECS write on "*"`);
