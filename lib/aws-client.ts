/**
 * SDK client options: the region, and for a local stand-in (the ECS emulator, the Step
 * Functions emulator, tests) its endpoint with dummy credentials, so no AWS account is needed.
 */
export function awsClientOptions(opts: { endpoint?: string; region?: string }): { region: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  const region = opts.region ?? process.env.AWS_REGION ?? 'us-east-1';
  if (!opts.endpoint) return { region };
  return { region, endpoint: opts.endpoint, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local' } };
}
