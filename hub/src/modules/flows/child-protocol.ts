/**
 * What the hub and its flows process say to each other over IPC (`ipc.ts`), in one place for both
 * sides. The child imports nothing of the hub but this, `ipc.ts`, the flow policy and the node
 * package: it never opens the database or the bus (PGlite is one process's; the credentials of
 * PostgreSQL, NATS and Redis are not in its environment).
 */
import type { FlowPolicy } from './flow-policy.js';

/** The editor and its admin API (and its WebSocket, `/flows/comms`). */
export const FLOWS_EDITOR_PATH = '/flows';
/** Where the flows' `http in` endpoints are served: `http in` with URL `/x` answers `/flows-http/x`. */
export const FLOWS_HTTP_PATH = '/flows-http';
export const NODE_PACKAGE = '@plantgraph/node-red-contrib-plantgraph';
/**
 * The header the hub's proxy adds to every request it forwards to the child's loopback port; the
 * child answers nothing without it (else any local process could call `http in` endpoints past the
 * hub's authentication) and removes it before Node-RED sees the request.
 */
export const PROXY_HEADER = 'x-plantgraph-flows-proxy';

/** The hub's `start` call: everything the child needs, none of it through its environment or argv. */
export interface FlowsChildStart {
  plant: string;
  /**
   * The hub's own URL on loopback; the child reaches the hub only through its public API there.
   * Null for a child started while the hub was still starting: `hubAt` follows before its flows run.
   */
  hubUrl: string | null;
  /** The child's credential for the hub, acting as `flows:<plant>` (minted for this start). */
  credential: string;
  /** The value of `PROXY_HEADER` on requests from the hub. */
  proxySecret: string;
  /** Encrypts the flows' node credentials (Node-RED's `credentialSecret`). */
  credentialSecret: string;
  policy: FlowPolicy;
  /** Whether this replica holds the plant's lease: the flows run, or the editor alone is served. */
  leader: boolean;
  /** Whether the editor asks the hub who a credential is (off with `PLANTGRAPH_AUTH=off`). */
  editorAuth: boolean;
  /** Where Node-RED finds the PlantGraph nodes. */
  nodesDir: string[];
}

/** What `start` answers: the loopback port the child serves the editor and `http in` on. */
export interface FlowsChildStarted {
  port: number;
}

/** Calls the hub answers for the child: Node-RED's storage (`FlowStore`) and the editor's authentication. */
export const HUB_CALLS = {
  storage: 'storage',
  editorUser: 'editorUser',
  editorLogin: 'editorLogin',
  log: 'log',
} as const;

/** Calls the child answers for the hub. */
export const CHILD_CALLS = {
  start: 'start',
  ping: 'ping',
  leader: 'leader',
  /** Where the hub listens, once it does (for a child started before). */
  hubAt: 'hubAt',
  /** A spare takes over: its flows loaded afresh, and run when the argument (the lease) says so. */
  activate: 'activate',
  reload: 'reload',
  stop: 'stop',
} as const;

/** Node-RED's storage API, every method of which the child forwards to the hub. */
export const STORAGE_METHODS = [
  'getFlows',
  'saveFlows',
  'getCredentials',
  'saveCredentials',
  'getSettings',
  'saveSettings',
  'getSessions',
  'saveSessions',
  'getLibraryEntry',
  'saveLibraryEntry',
] as const;
export type StorageMethod = (typeof STORAGE_METHODS)[number];

export type LogLevel = 'error' | 'warn' | 'info';
