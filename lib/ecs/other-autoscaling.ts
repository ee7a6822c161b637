import type * as AasSdk from '@aws-sdk/client-application-auto-scaling';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { awsClientOptions } from '../aws-client';
import { toEcsError } from './errors';

/**
 * ECS Service Auto Scaling (Application Auto Scaling) on a service this autoscaler sizes: a
 * scalable target on its DesiredCount (any scaling or scheduled policy hangs off one) would set
 * the count back and forth against this autoscaler's. Read with DescribeScalableTargets.
 */

// Loaded on first use, like the ECS SDK (lib/ecs/index.ts): a step that never reads it never pays for it.
let sdk: typeof AasSdk | null = null;
const aasSdk = (): typeof AasSdk => (sdk ??= require('@aws-sdk/client-application-auto-scaling') as typeof AasSdk);

/** The local ECS stand-in answers this API too, so ECS_ENDPOINT (or the endpoint given) points both. */
export function createAppAutoScalingClient(opts: { endpoint?: string; region?: string } = {}): ApplicationAutoScalingClient {
  return new (aasSdk().ApplicationAutoScalingClient)({ ...awsClientOptions({ endpoint: opts.endpoint ?? process.env.ECS_ENDPOINT, region: opts.region }), maxAttempts: 2 });
}

export const ECS_DIMENSION = 'ecs:service:DesiredCount';
export const resourceIdOf = (cluster: string, service: string): string => `service/${cluster.split('/').pop()}/${service}`;

/** Why the service is not this autoscaler's alone (its scalable target, what removes it), or null. */
export async function otherAutoscalingOf(client: ApplicationAutoScalingClient, cluster: string, service: string): Promise<string | null> {
  const resourceId = resourceIdOf(cluster, service);
  let out: AasSdk.DescribeScalableTargetsCommandOutput;
  try {
    out = await client.send(new (aasSdk().DescribeScalableTargetsCommand)({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: ECS_DIMENSION }));
  } catch (e) {
    throw toEcsError(e, `Application Auto Scaling DescribeScalableTargets ${resourceId}`);
  }
  const t = out.ScalableTargets?.find((x) => x.ResourceId === resourceId);
  if (!t) return null;
  return `ECS Service Auto Scaling (Application Auto Scaling) also scales ${resourceId} (scalable target, min ${t.MinCapacity}, max ${t.MaxCapacity}): this autoscaler leaves it alone until the target is deregistered (aws application-autoscaling deregister-scalable-target --service-namespace ecs --scalable-dimension ${ECS_DIMENSION} --resource-id ${resourceId}) or the service's config sets allowOtherAutoscaling: true`;
}
