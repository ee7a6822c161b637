import { checkCooldown } from '../../lib/cycle/check-cooldown';
import { checkDrain } from '../../lib/cycle/check-drain';
import { drainWorkers } from '../../lib/cycle/drain-workers';
import { BRANCH_FLOW, type BranchState } from '../../lib/cycle/flow';
import type { Drain } from '../../lib/cycle/payloads';
import { runAsync, runSync, type Env, type Step } from '../../lib/cycle/ports';
import { releaseProtection } from '../../lib/cycle/release-protection';
import { restoreConsumers } from '../../lib/cycle/restore-consumers';
import { scaleDown } from '../../lib/cycle/scale-down';
import { scaleUp } from '../../lib/cycle/scale-up';
import { EXEC, SERVICE, arn, changeItem, ecsObs, fakeEnv, node, nodeName, promised, task, type FakeEnv } from '../support/fake-env';

/**
 * The cycle's steps are written once and run on two hosts: plain values (the simulator) and
 * promises (Lambda). Fed the same scripted world, a scale-down branch must take the same path,
 * make the same port calls in the same order, and end with the same payload on both.
 */
const STEPS = { CheckCooldown: checkCooldown, ScaleUp: scaleUp, DrainWorkers: drainWorkers, CheckDrain: checkDrain, ScaleDown: scaleDown, RestoreConsumers: restoreConsumers, ReleaseProtection: releaseProtection } as const;

/** What changes in the world during the k-th Wait of the branch (1-based). */
type Script = Record<number, (env: FakeEnv) => void>;

const stop = (env: FakeEnv, i: number) => {
  env.world.tasks[SERVICE] = env.world.tasks[SERVICE].map((t) => (t.taskId === task(i).taskId ? task(i, 'STOPPED') : t));
  env.world.nodes = env.world.nodes.filter((n) => n.node !== nodeName(i));
};
const scripts: [string, Script, string[], string[]][] = [
  ['a drain that removes its two workers one after the other', {
    1: () => undefined,
    2: (env) => { stop(env, 4); env.world.nodes = env.world.nodes.map((n) => (n.node === nodeName(3) ? node(3) : n)); },
    4: (env) => stop(env, 3),
  }, ['CheckCooldown', 'DrainWorkers', 'WaitForDrain', 'CheckDrain', 'ScaleDown', 'WaitForDrain', 'CheckDrain', 'ScaleDown', 'WaitForTasksToStop', 'ReleaseProtection', 'WaitForTasksToStop', 'ReleaseProtection', 'ScaledDown'], [
    `workers.cancel [q1,q2] [${nodeName(4)},${nodeName(3)}]`,
    `ecs.protect ${SERVICE} [${arn(1)},${arn(2)},${arn(3)}] 10`, `ecs.unprotect ${SERVICE} [${arn(4)}]`, `ecs.setDesired ${SERVICE} 3`,
    // The second release relies on the first one's protection: it only unprotects its own task.
    `ecs.unprotect ${SERVICE} [${arn(3)}]`, `ecs.setDesired ${SERVICE} 2`,
    `ecs.unprotect ${SERVICE} [${arn(1)},${arn(2)}]`, `lease.releaseLock ${SERVICE} ${EXEC}`,
  ]],
  ['a drain a newer scale-up overtakes after one removal', {
    2: (env) => { stop(env, 4); env.store.want(SERVICE, { to: 5, at: env.clock.now }, 360_000); },
    3: (env) => stop(env, 3),
  }, ['CheckCooldown', 'DrainWorkers', 'WaitForDrain', 'CheckDrain', 'ScaleDown', 'WaitForDrain', 'CheckDrain', 'RestoreConsumers', 'ReleaseProtection', 'ScaledDown'], [
    `workers.cancel [q1,q2] [${nodeName(4)},${nodeName(3)}]`,
    `ecs.protect ${SERVICE} [${arn(1)},${arn(2)},${arn(3)}] 10`, `ecs.unprotect ${SERVICE} [${arn(4)}]`, `ecs.setDesired ${SERVICE} 3`,
    `workers.add [q1,q2] [${nodeName(3)}]`,
    `ecs.unprotect ${SERVICE} [${arn(1)},${arn(2)},${arn(3)}]`, `lease.releaseLock ${SERVICE} ${EXEC}`,
  ]],
];

/** Walks one branch as the simulator's host does, running each step with `run`. */
async function walk(script: Script, run: <T>(step: Step<T>) => T | Promise<T>, host: (env: FakeEnv) => Env) {
  const env = fakeEnv({ world: {
    ecs: { [SERVICE]: ecsObs(4) },
    tasks: { [SERVICE]: [task(1), task(2), task(3), task(4)] },
    nodes: [node(1, { active: 5 }), node(2, { active: 5 }), node(3, { active: 1 }), node(4)],
  } });
  const ports = host(env);
  let payload: unknown = changeItem({ from: 4, to: 2 });
  let state: string = 'CheckCooldown';
  let waits = 0;
  const path: string[] = [];
  while (path.length < 40) {
    path.push(state);
    if (state === 'WaitForDrain' || state === 'WaitForTasksToStop') {
      env.clock.now += (payload as Drain).pollSeconds * 1000;
      script[++waits]?.(env);
      state = BRANCH_FLOW[state]();
      continue;
    }
    if (!(state in STEPS)) break;
    const step = STEPS[state as keyof typeof STEPS] as (env: Env, input: unknown) => Step<unknown>;
    payload = await run(step(ports, payload));
    state = (BRANCH_FLOW[state as BranchState] as (o: unknown) => string)(payload);
  }
  return { path, payload, calls: env.calls() };
}

describe('the same decisions on the simulator’s host and on the Lambda host', () => {
  test.each(scripts)('%s', async (_name, script, expectedPath, writes) => {
    const onSimulator = await walk(script, runSync, (env) => env);
    const onLambda = await walk(script, runAsync, promised);
    expect(onSimulator.path).toEqual(expectedPath);
    expect(onSimulator.calls.filter((c) => /^(workers\.(cancel|add)|ecs\.(protect|unprotect|setDesired)|lease\.releaseLock) /.test(c))).toEqual(writes);
    expect(onLambda.path).toEqual(onSimulator.path);
    expect(onLambda.calls).toEqual(onSimulator.calls);
    expect(onLambda.payload).toEqual(onSimulator.payload);
    expect((onSimulator.payload as Drain).status).toBe('done');
  });

  test('the synchronous host refuses a port that answers with a promise', () => {
    const env = promised(fakeEnv());
    expect(() => runSync(checkCooldown(env, changeItem()))).toThrow(/a port answered with a promise on a synchronous host/);
  });
});
