import { createClient } from 'graphql-ws';
import { sleep } from './harness.js';

const EVENTS = `subscription ($scope: String!, $types: [String!], $after: String) {
  hubEvents(scope: $scope, types: $types, after: $after) { type path cursor data } }`;

/** A client as the README describes it: on an error or a close it subscribes again with its last cursor. */
export function resumingSubscriber(url: string, token: string, scope: string, types: string[]) {
  const events: { seq: number; type: string; cursor: string }[] = [];
  const errors: string[] = [];
  const trace: string[] = [];
  let cursor: string | null = null;
  let stopped = false;
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 1000,
    retryWait: async () => {
      await sleep(300);
    },
    shouldRetry: () => true,
  });
  const loop = (async () => {
    for (let attempt = 0; !stopped && attempt < 1000; attempt++) {
      trace.push(`${Date.now() % 100000} subscribe after=${cursor} have=${events.length}`);
      await new Promise<void>((resolve) => {
        client.subscribe(
          { query: EVENTS, variables: { scope, types, after: cursor } },
          {
            next: (v: any) => {
              for (const x of v.errors ?? []) {
                errors.push(String(x?.extensions?.code ?? x?.message));
                if (x?.extensions?.cursor) cursor = x.extensions.cursor;
              }
              const e = v.data?.hubEvents;
              if (!e) return;
              cursor = e.cursor;
              events.push({ seq: JSON.parse(e.data).seq, type: e.type, cursor: e.cursor });
            },
            error: (err: any) => {
              const list = Array.isArray(err) ? err : [err];
              for (const x of list) {
                errors.push(String(x?.extensions?.code ?? x?.message ?? (x?.code ? `${x.code} ${x.reason}` : x)));
                if (x?.extensions?.cursor) cursor = x.extensions.cursor;
              }
              resolve();
            },
            complete: () => {
              trace.push(`${Date.now() % 100000} complete have=${events.length}`);
              resolve();
            },
          },
        );
      });
      if (!stopped) await sleep(300);
    }
  })();
  return {
    events,
    errors,
    trace,
    stop: async () => {
      stopped = true;
      await client.dispose();
      await Promise.race([loop, sleep(2000)]);
    },
  };
}
