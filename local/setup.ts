import './promise-with-resolvers';

// Lambda-style logs and EMF metrics go to stdout; tests that assert them capture stdout themselves.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Lambda runs Node 22; Node 20 here only for the local run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
