import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand,
  type DescribeExecutionCommandOutput, type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { awsCall, awsClientOptions } from '../lib/aws-client';
import { AutoscalerError } from '../lib/errors';

export class StateMachineNotFound extends AutoscalerError {}

/** SFN_ENDPOINT (or --endpoint) points the client at a local stand-in, as ECS_ENDPOINT does for ECS. */
export function createSfnClient(opts: { endpoint?: string; region?: string }): SFNClient {
  return new SFNClient(awsClientOptions({ endpoint: opts.endpoint ?? process.env.SFN_ENDPOINT, region: opts.region }));
}

/** The deployed state machine is named celery-autoscaler-<stage> (serverless.yml). */
export async function findStateMachine(client: SFNClient, name: string): Promise<string> {
  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall('Step Functions ListStateMachines', () => client.send(new ListStateMachinesCommand({ nextToken })));
    for (const m of page.stateMachines ?? []) {
      if (m.name === name && m.stateMachineArn) return m.stateMachineArn;
      if (m.name) seen.push(m.name);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const region = await client.config.region();
  throw new StateMachineNotFound(`no state machine named ${name} in ${region} (deploy with --stage, or pass --state-machine-arn${seen.length ? `; found: ${seen.slice(0, 5).join(', ')}` : ''})`);
}

export async function startExecution(client: SFNClient, stateMachineArn: string, input: unknown, name: string): Promise<string> {
  const out = await awsCall(`Step Functions StartExecution of ${stateMachineArn}`, () => client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
  return out.executionArn as string;
}

export const consoleLink = (executionArn: string): string => {
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
};

const parse = (json: string | undefined): Record<string, any> => {
  try {
    return JSON.parse(json ?? 'null') ?? {};
  } catch {
    return {};
  }
};

/**
 * What an operator wants to see while it runs, from the newest events: the state entered last,
 * its service, and that service's last step result (during a drain, CheckDrain's
 * "1/2 drained; busy: …; 40 s left").
 */
export function progressOf(newestFirst: HistoryEvent[]): string {
  const entered = newestFirst.find((e) => e.stateEnteredEventDetails);
  if (!entered) return 'starting';
  const state = entered.stateEnteredEventDetails?.name as string;
  const service = parse(entered.stateEnteredEventDetails?.input).service as string | undefined;
  if (!service) return state;
  const last = newestFirst.map((e) => parse(e.stateExitedEventDetails?.output)).find((o) => o.service === service && typeof o.result === 'string');
  return `${state} (${service})${last ? `: ${last.result}` : ''}`;
}

/** Polls until the execution ends, reporting progress; returns the final DescribeExecution. */
export async function follow(client: SFNClient, executionArn: string, o: { intervalMs: number; onProgress: (line: string) => void }): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const d = await awsCall('Step Functions DescribeExecution', () => client.send(new DescribeExecutionCommand({ executionArn })));
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') return d;
    const h = await awsCall('Step Functions GetExecutionHistory', () => client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 })));
    o.onProgress(progressOf(h.events ?? []));
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}

/** The end of a run in lines: Summarize's actions and holds, a dry run's plan, or the error. */
export function outcomeLines(d: Pick<DescribeExecutionCommandOutput, 'status' | 'output' | 'error' | 'cause'>): string[] {
  if (d.status !== 'SUCCEEDED') return [`${d.status?.toLowerCase().replace('_', ' ')}: ${d.error ?? ''}${d.cause ? `: ${d.cause}` : ''}`];
  const out = parse(d.output);
  const lines: string[] = [];
  const list = (title: string, xs: string[]) => { if (xs.length) lines.push(`${title}:`, ...xs.map((x) => `  ${x}`)); };
  if (Array.isArray(out.actions)) list('actions', out.actions as string[]);
  else if (Array.isArray(out.changes)) {
    const changes = (out.changes as { service: string; from: number; to: number; reason: string }[]).map((c) => `${c.service}: ${c.from} → ${c.to}: ${c.reason}`);
    list(out.dryRun ? 'dry run, would scale' : 'changes', changes);
    if (changes.length === 0) lines.push('no change');
  }
  const holds = (out.holds ?? []) as (string | { service: string; reason: string })[];
  list('holds', holds.map((h) => (typeof h === 'string' ? h : `${h.service}: ${h.reason}`)));
  return lines.length ? lines : ['succeeded'];
}
