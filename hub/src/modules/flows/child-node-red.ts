/**
 * Node-RED inside the flows process (`child-main.ts`): its settings, storage and editor auth by
 * calls to the hub, the deploy check, and the flows started or stopped as the hub's lease says.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteConnection, type EmbeddedHub } from '@plantgraph/node-red-contrib-plantgraph';
import {
  FLOWS_EDITOR_PATH,
  FLOWS_HTTP_PATH,
  type FlowsChildStart,
  HUB_CALLS,
  type LogLevel,
  STORAGE_METHODS,
} from './child-protocol.js';
import { checkFlowPolicy, nodeRedPolicySettings, nodesOfDeploy } from './flow-policy.js';
import type { IpcPeer } from './ipc.js';

const require = createRequire(import.meta.url);

// Minimal typing of the parts of Node-RED the flows process uses.
interface NodeRed {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  httpNode: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  nodes: { loadFlows(forceStart?: boolean): Promise<unknown>; stopFlows(): Promise<void> };
  /** The runtime API the editor's admin API calls (deploys go through `flows`). */
  runtime: { flows: Record<DeployCall, (opts: { flows?: { flows?: unknown }; flow?: unknown }) => Promise<unknown>> };
  events: {
    on(event: string, listener: (e: never) => void): void;
    off(event: string, listener: (e: never) => void): void;
  };
}
type DeployCall = 'setFlows' | 'addFlow' | 'updateFlow';
type Host = ((req: IncomingMessage, res: ServerResponse) => void) & { use(path: string, ...handlers: unknown[]): void };

export interface RunningNodeRed {
  /** Serves `/flows` and `/flows-http` (after the proxy check). */
  host: Host;
  /** Node-RED's WebSocket listeners (editor comms, `websocket in`) are on this detached server. */
  detached: Server;
  setLeader(leader: boolean): Promise<void>;
  /** The hub's URL for connections made from now on. */
  hubAt(url: string): void;
  /** Loads the stored flows afresh (a spare taking over) and runs them when `leader`. */
  activate(leader: boolean): Promise<void>;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Node-RED for `start.plant`; its flows run only when `start.leader`. */
export async function startNodeRed(start: FlowsChildStart, hub: IpcPeer): Promise<RunningNodeRed> {
  const { plant } = start;
  const log = (level: LogLevel, text: string) => hub.notify(HUB_CALLS.log, level, text);
  // Node-RED wants a user folder; nothing of the plant lives there (storage is the hub's database).
  const userDir = mkdtempSync(join(tmpdir(), 'plantgraph-node-red-'));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'plantgraph-flows', private: true, description: 'Scratch folder of the flows process.' }),
  );
  let noCredentialsStored = false;
  const storage: Record<string, unknown> = { init: async () => {} };
  for (const method of STORAGE_METHODS)
    storage[method] = async (...args: unknown[]) => {
      // A deploy's `user` is what the hub's editor auth answered; only its name is the hub's business.
      if (method === 'saveFlows') args[1] = { username: (args[1] as { username?: string })?.username };
      const result = await hub.call(HUB_CALLS.storage, [method, args], 60_000);
      if (method === 'getCredentials') noCredentialsStored = Object.keys(result ?? {}).length === 0;
      return result ?? undefined;
    };
  let hubUrl = start.hubUrl;
  const embedded: EmbeddedHub = {
    plant,
    connect: () => {
      if (!hubUrl) throw new Error('the hub is still starting; the flows connect once it listens');
      return createRemoteConnection({ url: hubUrl, apiKey: start.credential });
    },
  };
  const settings: Record<string, unknown> = {
    userDir,
    httpAdminRoot: FLOWS_EDITOR_PATH,
    httpNodeRoot: FLOWS_HTTP_PATH,
    credentialSecret: start.credentialSecret,
    storageModule: storage,
    ...(start.editorAuth
      ? {
          adminAuth: {
            type: 'credentials',
            tokens: (token: string) => hub.call(HUB_CALLS.editorUser, [token]),
            authenticate: (_username: string, password: string) => hub.call(HUB_CALLS.editorLogin, [password]),
          },
        }
      : {}),
    // Nothing of the process for function nodes: no global context, no npm modules.
    functionGlobalContext: {},
    functionExternalModules: false,
    // Host nodes not loaded and function nodes timed out, as the deploy check requires (flow-policy.ts).
    ...nodeRedPolicySettings(start.policy),
    externalModules: {
      autoInstall: false,
      palette: { allowInstall: false, allowUpload: false },
      modules: { allowInstall: false },
    },
    editorTheme: {
      page: { title: `PlantGraph flows: ${plant}` },
      header: { title: `PlantGraph flows: ${plant}` },
      projects: { enabled: false },
      tours: false,
    },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    nodesDir: start.nodesDir,
    // Flows start only while the hub holds the lease (read live by Node-RED; not settable through its API).
    runtimeFlowState: 'stop',
    logging: {
      console: { level: 'off' },
      plantgraph: {
        level: 'info',
        metrics: false,
        audit: false,
        handler: () => (msg: { level: number; msg: unknown; type?: string; name?: string; id?: string }) => {
          // Expected on a plant whose flows hold no credentials yet.
          const quiet = msg.msg === 'Encrypted credentials not found' && noCredentialsStored;
          const text =
            `[flows] ${msg.type ? `[${msg.type}:${msg.name || msg.id}] ` : ''}${typeof msg.msg === 'string' ? msg.msg : msg.msg instanceof Error ? msg.msg.message : JSON.stringify(msg.msg)}`.trim();
          log(quiet ? 'info' : msg.level <= 20 ? 'error' : msg.level <= 30 ? 'warn' : 'info', text);
        },
      },
    },
    plantgraph: embedded,
  };

  const RED = require('node-red') as NodeRed;
  // RED.start() loads the stored flows and tries to start them without waiting for either; with
  // runtimeFlowState 'stop' that ends in a runtime-state event. Wait for it before the lease acts.
  let initialStart!: () => void;
  const initialStarted = new Promise<void>((resolve) => (initialStart = resolve));
  const onRuntimeEvent = (event: { id?: string; payload?: { state?: string } }) => {
    if (event.id === 'runtime-state' && event.payload?.state) initialStart();
  };
  RED.events.on('runtime-event', onRuntimeEvent);
  // Node-RED's own express 4 (its `http in` nodes need it), mounted on the two prefixes.
  const express = createRequire(require.resolve('node-red'))('express') as () => Host;
  const detached = createServer();
  RED.init(detached, settings);
  refuseBeforeDeploy(RED, (nodes) => checkFlowPolicy(nodes, start.policy));
  const host = express();
  host.use(FLOWS_EDITOR_PATH, RED.httpAdmin);
  host.use(FLOWS_HTTP_PATH, answeredAtFullStop(RED), RED.httpNode);
  await RED.start();
  await Promise.race([initialStarted, new Promise((r) => setTimeout(r, 15_000).unref())]);
  RED.events.off('runtime-event', onRuntimeEvent);

  let leader = false;
  let chain = Promise.resolve();
  const serial = (step: () => Promise<unknown>) => {
    const next = chain.then(step).then(() => {});
    chain = next.catch(() => {});
    return next;
  };
  const setLeader = (isLeader: boolean) =>
    serial(async () => {
      leader = isLeader;
      settings.runtimeFlowState = isLeader ? 'start' : 'stop';
      if (isLeader) await RED.nodes.loadFlows(true);
      else await RED.nodes.stopFlows();
    });
  if (start.leader) await setLeader(true);
  return {
    host,
    detached,
    setLeader,
    hubAt: (url) => {
      hubUrl = url;
    },
    activate: (isLeader) =>
      serial(async () => {
        leader = isLeader;
        settings.runtimeFlowState = isLeader ? 'start' : 'stop';
        await RED.nodes.loadFlows(isLeader);
      }),
    reload: () => serial(() => RED.nodes.loadFlows(leader)),
    stop: () => serial(() => RED.stop()),
  };
}

/**
 * Goes before Node-RED's `http in` endpoints: an answer for every request its flows will never
 * answer. A full stop (a deploy, a reload after an import or another replica's deploy, the lease
 * lost) closes every node, and the messages in flight go with them, so a request taken before it
 * would otherwise wait for ever. Those get a 503 to retry as soon as the stop is done. A partial
 * deploy stops only the changed nodes and leaves its requests as Node-RED does.
 */
function answeredAtFullStop(RED: NodeRed): NodeRed['httpNode'] {
  const unanswered = new Set<ServerResponse>();
  RED.events.on('flows:stopped', ((event: { type?: string }) => {
    if (event.type !== 'full') return;
    for (const res of unanswered) {
      if (res.headersSent) res.destroy();
      else
        res
          .writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' })
          .end(FLOWS_STOPPED_WHILE_ANSWERING);
    }
    unanswered.clear();
  }) as (e: never) => void);
  return (_req, res, next) => {
    unanswered.add(res);
    res.on('close', () => unanswered.delete(res));
    next();
  };
}

const FLOWS_STOPPED_WHILE_ANSWERING = JSON.stringify({
  error: 'The flows were stopped (a deploy or a reload) while this request was being answered; send it again.',
});

/**
 * Checks every deploy through Node-RED's runtime API (what the editor's admin API calls) before
 * Node-RED touches anything: refused there, its credential store and the running flows stay as
 * they were. The hub checks again when it stores the revision; this is what keeps the refusal clean.
 */
function refuseBeforeDeploy(RED: NodeRed, check: (nodes: ReturnType<typeof nodesOfDeploy>) => void): void {
  const api = RED.runtime.flows;
  for (const call of ['setFlows', 'addFlow', 'updateFlow'] as const) {
    const original = api[call].bind(api);
    api[call] = async (opts) => {
      check(nodesOfDeploy(call === 'setFlows' ? opts.flows?.flows : opts.flow));
      return original(opts);
    };
  }
}
