import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a stand-in received it: tests assert on these (e.g. "nothing was started"). */
export interface ApiCall { operation: string; params: Record<string, any>; at: number }

/** Answered as AWS does: status 400 and `{"__type", "message"}`, which the SDK turns into err.name. */
export class AwsApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export interface JsonApiServer { endpoint: string; calls: ApiCall[]; close(): Promise<void> }

/**
 * A local AWS JSON-protocol endpoint (`POST /`, `x-amz-target: <prefix>.<Operation>`, JSON body)
 * for the real SDK clients to reach through their endpoint override.
 */
export async function startJsonApi(targetPrefix: string, jsonVersion: '1.0' | '1.1', operation: (op: string, params: Record<string, any>) => unknown): Promise<JsonApiServer> {
  const calls: ApiCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : target;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': `application/x-amz-json-${jsonVersion}`, 'x-amzn-requestid': randomBytes(8).toString('hex') });
        res.end(JSON.stringify(body));
      };
      try {
        const params = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> : {};
        calls.push({ operation: op, params, at: Date.now() });
        reply(200, operation(op, params));
      } catch (e) {
        if (e instanceof AwsApiError) reply(e.status, { __type: e.type, message: e.message });
        else reply(500, { __type: 'InternalServerError', message: String((e as Error).message) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
