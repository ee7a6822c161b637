// Serverless v3 (3.40, its last release) validates provider.runtime against a list that ends at
// nodejs20.x. Lambda runs nodejs22.x, and Serverless v3 deploys it unchanged: this plugin adds
// that one value to the list, so every other key of serverless.yml is still validated.
class Nodejs22Runtime {
  constructor(serverless) {
    const runtime = serverless.configSchemaHandler.schema.definitions.awsLambdaRuntime;
    if (runtime && Array.isArray(runtime.enum) && !runtime.enum.includes('nodejs22.x')) runtime.enum.push('nodejs22.x');
  }
}

module.exports = Nodejs22Runtime;
