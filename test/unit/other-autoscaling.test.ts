import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { configOf, serviceConfig } from '../support/fake-env';
import { assembleRuntime, OTHER_AUTOSCALING_TTL_MS } from '../../lib/runtime';

describe('ECS Service Auto Scaling on a configured service, as the runtime reads it', () => {
  test('one DescribeScalableTargets per service (namespace ecs, its resource id, DesiredCount), cached for minutes', async () => {
    const sent: Record<string, unknown>[] = [];
    const client = {
      send: async (cmd: { input: Record<string, unknown> }) => {
        sent.push(cmd.input);
        const ids = cmd.input.ResourceIds as string[];
        return { ScalableTargets: ids.includes('service/prod/web-svc') ? [{ ResourceId: 'service/prod/web-svc', MinCapacity: 2, MaxCapacity: 8 }] : [] };
      },
      destroy: () => undefined,
    } as unknown as ApplicationAutoScalingClient;
    const config = configOf({ web: serviceConfig({ cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' }), api: serviceConfig({ cluster: 'prod', service: 'api-svc', queues: ['q3'] }) });
    // A broker that is not there: nothing here reads it.
    const rt = assembleRuntime({ ...config, broker: { ...config.broker, connectTimeoutMs: 100 } }, 'redis://127.0.0.1:1/0', { stage: 'test', appAutoScalingClient: client });
    const realNow = Date.now;
    try {
      const web = await rt.otherAutoscaling('arn:aws:ecs:us-east-1:123456789012:cluster/prod', 'web-svc');
      expect(web).toMatch(/^ECS Service Auto Scaling \(Application Auto Scaling\) also scales service\/prod\/web-svc \(scalable target, min 2, max 8\): .*deregister-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service\/prod\/web-svc\) or the service's config sets allowOtherAutoscaling: true$/);
      expect(await rt.otherAutoscaling('prod', 'api-svc')).toBeNull();
      expect(await rt.otherAutoscaling('arn:aws:ecs:us-east-1:123456789012:cluster/prod', 'web-svc')).toBe(web);
      expect(sent).toEqual([
        { ServiceNamespace: 'ecs', ResourceIds: ['service/prod/web-svc'], ScalableDimension: 'ecs:service:DesiredCount' },
        { ServiceNamespace: 'ecs', ResourceIds: ['service/prod/api-svc'], ScalableDimension: 'ecs:service:DesiredCount' },
      ]);
      const later = realNow() + OTHER_AUTOSCALING_TTL_MS + 1;
      Date.now = () => later;
      await rt.otherAutoscaling('prod', 'api-svc');
      expect(sent).toHaveLength(3);
    } finally {
      Date.now = realNow;
      rt.close();
    }
  });
});
