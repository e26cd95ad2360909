import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { HubContext } from './context.js';

const MAX_BODY_BYTES = 1_000_000;

/** Serves one HTTP request with Apollo Server (the hub runs plain `node:http`, no framework). */
export async function serveGraphQL(apollo: ApolloServer<HubContext>, req: IncomingMessage, res: ServerResponse, context: () => Promise<HubContext>): Promise<void> {
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const text = await readBody(req);
    if (text === null) return send(res, 413, { errors: [{ message: `Request body over ${MAX_BODY_BYTES} bytes; send smaller operations.` }] });
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return send(res, 400, { errors: [{ message: 'The request body is not valid JSON; send {"query": "...", "variables": {...}}.' }] });
    }
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context,
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
