/** The few Node-RED runtime APIs the nodes use, typed here to keep @types/node-red (and express types) out. */

export interface NodeMessage {
  _msgid?: string;
  topic?: unknown;
  payload?: unknown;
  [key: string]: unknown;
}
export type Send = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type Done = (err?: Error) => void;
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeConfig {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface Node {
  id: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', handler: (msg: NodeMessage, send: Send, done: Done) => void | Promise<void>): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  status(status: NodeStatus | Record<string, never>): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(message: unknown): void;
  log(message: unknown): void;
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, config: NodeConfig): void;
    registerType(
      type: string,
      // biome-ignore lint/suspicious/noExplicitAny: Node-RED calls the node's constructor with its own `this` and config
      create: (this: any, config: any) => void,
      options?: {
        credentials?: Record<string, { type: 'text' | 'password' }>;
        settings?: Record<string, { value: unknown; exportable?: boolean }>;
      },
    ): void;
    getNode(id: string): unknown;
  };
  settings: Record<string, unknown>;
  util: {
    getMessageProperty(msg: NodeMessage, property: string): unknown;
    setMessageProperty(msg: NodeMessage, property: string, value: unknown, createMissing?: boolean): boolean;
  };
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Short status text: Node-RED shows about 30 characters under a node. Errors keep their start… */
export const short = (text: string, max = 40): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** …paths their end (the machine, not the enterprise). */
export const tail = (text: string, max = 30): string => (text.length > max ? `…${text.slice(-(max - 1))}` : text);

/** A number field of the editor (strings there), or the fallback when empty. */
export function numberSetting(value: unknown, fallback: number | undefined, label: string): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${label} must be a number (got "${String(value)}")`);
  return n;
}

/** The connection of the node's `plantgraph-hub` config node; throws with what to fix. */
export function hubConnection(RED: NodeAPI, hubId: unknown): import('../hub-connection.js').HubConnection {
  const hub =
    typeof hubId === 'string' && hubId
      ? (RED.nodes.getNode(hubId) as { connection?: () => import('../hub-connection.js').HubConnection } | null)
      : null;
  if (!hub?.connection) throw new Error('no PlantGraph hub configured: select a hub in the node');
  return hub.connection();
}

/**
 * Status updates at most every `intervalMs` (the last one wins): a node passing thousands of
 * messages a second would otherwise flood every open editor with status events.
 */
export class StatusThrottle {
  private last = 0;
  private pending: NodeStatus | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly node: Node,
    private readonly intervalMs = 500,
  ) {}

  show(status: NodeStatus): void {
    if (this.stopped) return; // closed: a late hub answer must not start a timer
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0 && !this.timer) {
      this.last = Date.now();
      this.node.status(status);
      return;
    }
    this.pending = status;
    this.timer ??= setTimeout(
      () => {
        this.timer = null;
        this.last = Date.now();
        if (this.pending) this.node.status(this.pending);
        this.pending = null;
      },
      Math.max(wait, 0),
    );
  }

  /** Shows at once (errors), dropping a pending update. */
  now(status: NodeStatus): void {
    if (this.stopped) return;
    this.cancel();
    this.last = Date.now();
    this.node.status(status);
  }

  /** On close: no more updates, no timer left. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
