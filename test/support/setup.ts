import '../../lib/local/promise-with-resolvers';

// Lambda-style logs and EMF metrics go to stdout; tests that assert them capture stdout themselves.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
