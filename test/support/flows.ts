import { configFromEnv, type HubConfig } from '@plantgraph/hub';
import { Role } from '@plantgraph/schema';
import { uniqueName } from './harness.js';

/** Hub settings that turn the embedded flows on for a fresh plant. */
export function withFlows(
  plant = uniqueName('p'),
  overrides: Partial<HubConfig['flows']> = {},
): Pick<HubConfig, 'flows'> {
  return {
    flows: {
      ...configFromEnv({}).flows,
      enabled: true,
      plant,
      grants: [
        { role: Role.Engineer, scope: '*' },
        { role: Role.Operator, scope: '*' },
        { role: Role.Maintenance, scope: '*' },
      ],
      ...overrides,
    },
  };
}

const headers = (token?: string | null, json = false) => ({
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...(json ? { 'content-type': 'application/json' } : {}),
});

/** A full deploy through the editor's admin API, the way the editor does it. */
export async function deploy(url: string, token: string | null | undefined, flows: unknown[]): Promise<Response> {
  return fetch(`${url}/flows/flows`, {
    method: 'POST',
    headers: { ...headers(token, true), 'node-red-deployment-type': 'full' },
    body: JSON.stringify(flows),
  });
}

/** Calls a flow's `http in` endpoint (`/flows-http<path>`), with the hub credential when given. */
export function endpoint(url: string, path: string, token?: string | null, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}/flows-http${path}`, { ...init, headers: { ...headers(token), ...init.headers } });
}

export async function adminGet(url: string, path: string, token?: string | null): Promise<Response> {
  return fetch(`${url}/flows${path}`, { headers: headers(token) });
}

/** Polls `fn` until it returns a truthy value; returns it, or throws after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what} did not happen within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** http in (GET <path>) → function (returns `body` as the payload) → http response. */
export function helloFlow(tab: string, path: string, body: string): Record<string, unknown>[] {
  return [
    { id: `${tab}`, type: 'tab', label: `tab ${tab}` },
    { id: `${tab}-in`, type: 'http in', z: tab, url: path, method: 'get', wires: [[`${tab}-fn`]] },
    {
      id: `${tab}-fn`,
      type: 'function',
      z: tab,
      func: `msg.payload = ${JSON.stringify(body)}; return msg;`,
      outputs: 1,
      wires: [[`${tab}-out`]],
    },
    { id: `${tab}-out`, type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
  ];
}

/**
 * Every 0.2 s: a function node makes the message (`func`), an `http request` node POSTs it to
 * `url`; a test's server counts the ticks to see that (and where) the flows run.
 */
export function tickerFlow(url: string, func = 'return msg;'): Record<string, unknown>[] {
  return [
    { id: 'f', type: 'tab', label: 'ticker' },
    {
      id: 'f-inject',
      type: 'inject',
      z: 'f',
      repeat: '0.2',
      once: true,
      onceDelay: '0.1',
      topic: '',
      payload: '',
      payloadType: 'date',
      props: [{ p: 'payload' }],
      wires: [['f-fn']],
    },
    { id: 'f-fn', type: 'function', z: 'f', func, outputs: 1, wires: [['f-http']] },
    {
      id: 'f-http',
      type: 'http request',
      z: 'f',
      method: 'POST',
      ret: 'txt',
      url,
      tls: '',
      persist: false,
      wires: [[]],
    },
  ];
}
