import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, STATE_TABLE } from '../lib/state/dynamo';
import { waitFor } from './processes';

// dynalite ships no types: the one function used, typed here.
const dynalite = require('dynalite') as (options?: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; maxItemSizeKb?: number; path?: string }) => Server;

/**
 * A DynamoDB API on a free port, in memory, for the tests and the local stack: dynalite (a
 * DynamoDB implementation over LevelDB) served in this process and closed by `stop()`. Its tables
 * come up ACTIVE after `createTableMs` (AWS's take seconds, so `createStateTable` waits as it must
 * on AWS). dynalite has no UpdateTimeToLive: expired items stay until deleted, which is what the
 * store must cope with anyway (DynamoDB's TTL deletes up to days late; lib/state/dynamo.ts).
 */
export class DynamoLocal {
  private constructor(private readonly server: Server, readonly port: number) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Port 0: the OS picks a free one, so no race between finding a port and taking it. */
  static async start(opts: { createTableMs?: number } = {}): Promise<DynamoLocal> {
    const server = dynalite({ createTableMs: opts.createTableMs ?? 50, deleteTableMs: 50, updateTableMs: 50 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new DynamoLocal(server, (server.address() as AddressInfo).port);
  }

  /** A client pointed at it: the endpoint, dummy credentials, a region (lib/aws-client.ts). */
  client(opts: { region?: string } = {}): DynamoDBClient {
    return createDynamoClient({ endpoint: this.endpoint, region: opts.region ?? 'us-east-1' });
  }

  /** Stops serving: open connections are cut so the next call fails at once, as a store outage. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

/**
 * The state table from STATE_TABLE (the same definition serverless.yml deploys), waited for until
 * ACTIVE, then TTL switched on where the API has it (AWS, DynamoDB Local; not dynalite).
 */
export async function createStateTable(client: DynamoDBClient, tableName: string, timeoutMs = 20_000): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    AttributeDefinitions: STATE_TABLE.AttributeDefinitions.map((d) => ({ ...d })),
    KeySchema: STATE_TABLE.KeySchema.map((k) => ({ ...k })),
    BillingMode: STATE_TABLE.BillingMode,
  }));
  await waitFor(`DynamoDB table ${tableName} to be ACTIVE`, async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus === 'ACTIVE', timeoutMs, 25);
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { ...STATE_TABLE.TimeToLiveSpecification } }));
  } catch (e) {
    if ((e as { name?: string }).name !== 'UnknownOperationException') throw e;
  }
}

/**
 * `npx tsx local/dynalite.ts [table]`: a DynamoDB API with the state table, for a local stack run by
 * hand; prints the endpoint (for DYNAMODB_ENDPOINT) and serves until interrupted.
 */
if (require.main === module) {
  void (async () => {
    const table = process.argv[2] ?? 'celery-autoscaler-state';
    const local = await DynamoLocal.start();
    const client = local.client();
    await createStateTable(client, table);
    process.stdout.write(`DYNAMODB_ENDPOINT=${local.endpoint} table=${table}\n`);
    process.once('SIGINT', () => {
      client.destroy();
      void local.stop().then(() => process.exit(0));
    });
  })();
}
