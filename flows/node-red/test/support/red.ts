/** Node-RED 5 in the test process through node-red-node-test-helper, with a recording hub. */
import { createRequire } from 'node:module';
import { embeddedHub, RecordingHub } from './fake-hub.js';

const require = createRequire(import.meta.url);

export interface TestNode {
  id: string;
  receive(msg: Record<string, unknown>): void;
  on(event: string, handler: (arg: any) => void): void;
}
interface Helper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  settings(settings: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown[], flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}

export const helper = require('node-red-node-test-helper') as Helper;
/** The built nodes, as Node-RED loads them (CommonJS from dist; `npm run build` first). */
export const nodes = ['plantgraph-hub', 'equipment-signal', 'event-in', 'event-out', 'graphql', 'alert-rule'].map(
  (name) => require(`../../dist/nodes/${name}.js`) as unknown,
);

let current = new RecordingHub();
/** A fresh recording hub for the next test; the embedded setting always hands out the current one. */
export function freshHub(): RecordingHub {
  current = new RecordingHub();
  return current;
}

export function initRuntime(extra: Record<string, unknown> = {}): void {
  helper.init(require.resolve('node-red'), { plantgraph: embeddedHub(() => current), ...extra });
}

/** The embedded hub config node every test flow uses. */
export const HUB = { id: 'hub', type: 'plantgraph-hub', mode: 'embedded' };

/** Resolves with the next payload of `event` (e.g. `input`, `call:error`, `call:status`) matching `accept`. */
export function next<T = any>(
  node: TestNode,
  event: string,
  accept: (arg: T) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} on ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.on(event, (arg: T) => {
      if (!accept(arg)) return;
      clearTimeout(timer);
      resolve(arg);
    });
  });
}

/** The status calls of a node, as texts, collected from now on. */
export function statuses(node: TestNode): string[] {
  const seen: string[] = [];
  node.on('call:status', (call: { args: [{ text?: string }] }) => seen.push(call.args[0]?.text ?? ''));
  return seen;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Timers of this process, to check that closed nodes leave none behind. */
export const timerCount = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
