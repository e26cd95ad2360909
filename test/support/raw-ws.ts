import WebSocket from 'ws';

type ExtraHeaders = Record<string, string>;
type Operation = { query: string; variables?: unknown };

export type WsOutcome =
  | { type: 'next' | 'error' | 'complete'; payload?: any }
  | { type: 'closed'; code: number; reason: string };

/**
 * One graphql-ws operation, its `subscribe` payload sent as raw JSON text (so tests can send what
 * a client library could not serialise, e.g. variables nested 300,000 deep); resolves with the
 * first answer to it, or with how the hub closed the socket. `headers` go with the upgrade request.
 */
export async function wsOperation(url: string, token: string | null, payloadJson: string, headers: ExtraHeaders = {}) {
  const timeoutMs = 5000;
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers });
  try {
    return await new Promise<WsOutcome>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer over WebSocket within ${timeoutMs} ms`)), timeoutMs);
      const done = (outcome: WsOutcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', (code, reason) => done({ type: 'closed', code, reason: reason.toString() }));
      const init = { type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} };
      ws.on('open', () => ws.send(JSON.stringify(init)));
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { type: string; id?: string; payload?: unknown };
        if (message.type === 'connection_ack') ws.send(`{"id":"1","type":"subscribe","payload":${payloadJson}}`);
        else if (message.id === '1') done(message as WsOutcome);
      });
    });
  } finally {
    ws.terminate();
  }
}

/** The same for an ordinary payload. */
export const wsRequest = (url: string, token: string | null, payload: Operation, headers: ExtraHeaders = {}) =>
  wsOperation(url, token, JSON.stringify(payload), headers);

/** Error messages of an outcome (an `error` frame or errors in a `next` result), joined. */
export function wsErrors(outcome: WsOutcome): string {
  if (outcome.type === 'error') return (outcome.payload as { message: string }[]).map((e) => e.message).join('\n');
  if (outcome.type === 'next') {
    return ((outcome.payload?.errors ?? []) as { message: string }[]).map((e) => e.message).join('\n');
  }
  return `(${outcome.type}${outcome.type === 'closed' ? ` ${outcome.code} ${outcome.reason}` : ''})`;
}
