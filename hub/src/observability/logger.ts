import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, stdTimeFunctions } from 'pino';
import type { HubLog } from '../extensions.js';

/** `text`: one readable line per entry, as in a terminal; `json`: one JSON object per line (pino). */
export type LogFormat = 'text' | 'json';

/**
 * The request a log line belongs to. A constant context key, not state: each request's handler
 * runs inside its own store, so lines logged anywhere below it (services, the database) carry its id.
 */
const requestScope = new AsyncLocalStorage<string>();

/** An id a client may send to follow its request through the logs; anything else is replaced. */
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Runs one HTTP request in its log scope: its id is the client's `X-Request-Id` when it is a
 * plain token, else a new one, and is echoed in the response's `X-Request-Id`.
 */
export function inRequestScope<T>(req: IncomingMessage, res: ServerResponse, handle: () => T): T {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return requestScope.run(id, handle);
}

/** The id of the request being handled, if any. */
export const currentRequestId = (): string | undefined => requestScope.getStore();

/**
 * The hub's log in the chosen format. Every line the hub writes starts with its component in
 * brackets (`[ingest] …`); in JSON that becomes the `component` field, the rest `msg`, with the
 * level, an ISO time, and `requestId` when the line was written while handling a request.
 */
export function createHubLog(format: LogFormat, destination: NodeJS.WritableStream = process.stdout): HubLog {
  if (format === 'text') return textLog();
  const logger = pino(
    {
      base: { service: 'plantgraph-hub', pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
    },
    destination,
  );
  const entry = (args: unknown[]) => {
    const { component, msg } = split(args);
    return [component ? { component } : {}, msg] as const;
  };
  return {
    log: (...args: unknown[]) => logger.info(...entry(args)),
    warn: (...args: unknown[]) => logger.warn(...entry(args)),
    error: (...args: unknown[]) => logger.error(...entry(args)),
  };
}

/** The console's lines, with the request's id added to warnings and errors written while handling one. */
function textLog(): HubLog {
  const suffix = () => {
    const id = currentRequestId();
    return id ? [`(request ${id})`] : [];
  };
  return {
    log: (...args: unknown[]) => console.log(...args),
    warn: (...args: unknown[]) => console.warn(...args, ...suffix()),
    error: (...args: unknown[]) => console.error(...args, ...suffix()),
  };
}

function split(args: unknown[]): { component?: string; msg: string } {
  const text = args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : JSON.stringify(a)))
    .join(' ');
  const match = /^\[([^\]\n]{1,80})\]\s*([\s\S]*)$/.exec(text);
  return match ? { component: match[1], msg: match[2]! } : { msg: text };
}
