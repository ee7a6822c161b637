import { AutoscalerError } from './errors';

/**
 * SDK client options: the region, and for a local stand-in (the ECS emulator, the Step
 * Functions emulator, tests) its endpoint with dummy credentials, so no AWS account is needed.
 */
export function awsClientOptions(opts: { endpoint?: string; region?: string }): { region: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  const region = opts.region ?? process.env.AWS_REGION ?? 'us-east-1';
  if (!opts.endpoint) return { region };
  return { region, endpoint: opts.endpoint, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local' } };
}

/** An AWS call that failed, saying which call and what to check; `name` is the SDK's error name. */
export class AwsCallError extends AutoscalerError {}

const HINTS: [RegExp, string][] = [
  [/credential|ExpiredToken|UnrecognizedClient|InvalidSignature/i, 'check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, or an SSO login)'],
  [/region/i, 'set the region (--region or AWS_REGION)'],
  [/AccessDenied|not authorized/i, 'check the IAM permissions of these credentials'],
  [/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket/i, 'check the endpoint and the network'],
];

/** Runs one SDK call; a failure becomes one line: the call, the SDK's error, what to check. */
export async function awsCall<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const err = e as Error;
    const text = `${err.name}: ${err.message}`;
    const hint = HINTS.find(([re]) => re.test(text))?.[1];
    throw new AwsCallError(`${call} failed: ${text}${hint ? ` — ${hint}` : ''}`);
  }
}
