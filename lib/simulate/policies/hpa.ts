/**
 * Kubernetes' HorizontalPodAutoscaler (autoscaling/v2) for one External metric per trigger with
 * an AverageValue target, with its default behavior (kubernetes.io: "Horizontal Pod Autoscaling",
 * "Default Behavior"; pkg/controller/podautoscaler/horizontal.go):
 * - desired = ⌈metric / target⌉ per metric, unless within the 10% tolerance; the max over metrics;
 * - scale-up: no stabilization; at most max(+4 pods, +100%) per 15 s;
 * - scale-down: the highest recommendation of the last 300 s; up to 100% per 15 s.
 */
export interface HpaBehavior {
  tolerance: number;
  scaleUpStabilizationSeconds: number;
  scaleUpPods: number;
  scaleUpPercent: number;
  scaleDownStabilizationSeconds: number;
  scaleDownPercent: number;
  periodSeconds: number;
}

export interface HpaState {
  /** [seconds, unstabilized recommendation]. */
  recommendations: [number, number][];
  /** [seconds, replica change] of the HPA's own scale events, for the rate limits. */
  events: [number, number][];
}

export const emptyHpaState = (): HpaState => ({ recommendations: [], events: [] });

/** GetExternalPerPodMetricReplicas: keep `current` when every metric is within tolerance of target. */
export function hpaRecommendation(metrics: number[], target: number, current: number, tolerance: number): number {
  return metrics.reduce((a, m) => Math.max(a, Math.abs(1 - m / (target * current)) <= tolerance ? current : Math.ceil(m / target)), -Infinity);
}

/** One HPA sync: stabilize, rate-limit, bound. Returns the new replica count and the new state. */
export function hpaSync(state: HpaState, b: HpaBehavior, now: number, current: number, recommendation: number, min: number, max: number): { replicas: number; state: HpaState } {
  let up = recommendation;
  let down = recommendation;
  for (const [at, r] of state.recommendations) {
    if (at > now - b.scaleUpStabilizationSeconds) up = Math.min(up, r);
    if (at > now - b.scaleDownStabilizationSeconds) down = Math.max(down, r);
  }
  const stabilized = Math.min(down, Math.max(up, current));
  const inPeriod = state.events.filter(([at]) => at > now - b.periodSeconds);
  const added = inPeriod.reduce((a, [, d]) => a + Math.max(0, d), 0);
  const removed = inPeriod.reduce((a, [, d]) => a + Math.max(0, -d), 0);
  const upStart = current - added;
  const upLimit = Math.max(upStart + b.scaleUpPods, Math.ceil(upStart * (1 + b.scaleUpPercent / 100)));
  const downStart = current + removed;
  const downLimit = Math.floor(downStart * (1 - b.scaleDownPercent / 100));
  const replicas = Math.min(Math.min(max, upLimit), Math.max(Math.max(min, downLimit), stabilized));
  const horizon = now - Math.max(b.scaleUpStabilizationSeconds, b.scaleDownStabilizationSeconds, b.periodSeconds);
  return {
    replicas,
    state: {
      recommendations: [...state.recommendations.filter(([at]) => at > horizon), [now, recommendation]],
      events: replicas !== current ? [...inPeriod, [now, replicas - current]] : inPeriod,
    },
  };
}
