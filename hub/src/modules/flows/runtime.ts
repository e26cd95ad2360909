import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HubConfig } from '../../config.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Services } from '../../services.js';
import type { HubContext } from '../../graphql/context.js';
import type { ExecuteOperation } from '../../graphql/execute.js';
import type { Gate } from '../../graphql/gate.js';
import { Principal } from '../../core/principal.js';
import { EmbeddedConnection, type EmbeddedHub } from './embedded-connection.js';
import { editorAdminAuth } from './editor-auth.js';
import { type Lease, LocalLease, PostgresLease } from '../../infrastructure/database/lease.js';
import { FlowStore, nodeRedStorage } from './storage.js';
import { checkFlowPolicy, flowPolicyRefusal, nodeRedPolicySettings, nodesOfDeploy } from './flow-policy.js';
import { parseFlows } from './flow-document.js';
import { FlowEndpointGuard } from './http-endpoints.js';

const require = createRequire(import.meta.url);

/** The editor and its admin API (and its WebSocket, `/flows/comms`). */
export const FLOWS_EDITOR_PATH = '/flows';
/** Where the flows' `http in` endpoints are served: `http in` with URL `/x` answers `/flows-http/x`. */
export const FLOWS_HTTP_PATH = '/flows-http';
export const NODE_PACKAGE = '@plantgraph/node-red-contrib-plantgraph';

type Log = Pick<Console, 'log' | 'warn' | 'error'>;

export interface FlowsRuntime {
  readonly plant: string;
  /** What Node-RED gets as the setting `plantgraph` (the PlantGraph nodes connect through it). */
  readonly embedded: EmbeddedHub;
  /** Whether this replica holds the lease and runs the flows. */
  readonly leader: boolean;
  /** Serves requests under `/flows` and `/flows-http`; false for any other path. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes WebSocket upgrades under `/flows/` and `/flows-http/`; false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): Promise<void>;
}

export interface FlowsRuntimeDeps {
  config: HubConfig;
  db: Database;
  bus: MessageBus;
  services: Services;
  /** Runs GraphQL in process for the flows' embedded connection. */
  execute: ExecuteOperation;
  /** The GraphQL gate: `http in` endpoints authenticate and are rate limited through it. */
  gate: Pick<Gate, 'admit' | 'limit'>;
  contextFor: (principal: Principal) => HubContext;
  log: Log;
}

/** Node-RED keeps its state in module scope: one runtime per process. */
let running = false;

// Minimal typing of the parts of Node-RED the hub uses.
interface NodeRed {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  httpNode: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  nodes: { loadFlows(forceStart?: boolean): Promise<unknown>; stopFlows(): Promise<void>; getFlows(): unknown };
  /** The runtime API the editor's admin API calls (deploys go through `flows`). */
  runtime: { flows: Record<DeployCall, (opts: { flows?: { flows?: unknown }; flow?: unknown }) => Promise<unknown>> };
  events: {
    on(event: string, listener: (e: never) => void): void;
    off(event: string, listener: (e: never) => void): void;
  };
}

/** The runtime API calls that deploy: a full deploy, one flow added, one flow replaced. */
type DeployCall = 'setFlows' | 'addFlow' | 'updateFlow';

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * Starts the embedded Node-RED for `config.flows.plant`: editor and admin API at `/flows`, `http in`
 * endpoints at `/flows-http`, both routed from the hub's own server (Node-RED gets a detached
 * server for its WebSocket listeners). Flows are stored in the hub's database and run only on the
 * replica holding the plant's lease; the others serve the editor with the flows stopped and follow
 * new revisions.
 */
export async function startFlowsRuntime({
  config,
  db,
  bus,
  services,
  execute,
  gate,
  contextFor,
  log,
}: FlowsRuntimeDeps): Promise<FlowsRuntime> {
  if (running)
    throw new Error(
      'The flows (Node-RED) already run in this process for another hub; Node-RED allows one runtime per process. Start this hub with PLANTGRAPH_FLOWS=off.',
    );
  running = true;
  const { plant, grants } = config.flows;
  // Node-RED wants a user folder; nothing of the plant lives there (storage is the database).
  const userDir = mkdtempSync(join(tmpdir(), 'plantgraph-node-red-'));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({
      name: 'plantgraph-flows',
      private: true,
      description: 'Scratch folder of the embedded Node-RED; flows are in the hub database.',
    }),
  );
  const cleanup: (() => unknown)[] = [
    () => rmSync(userDir, { recursive: true, force: true }),
    () => {
      running = false;
    },
  ];
  try {
    const store = new FlowStore(db, services.relay, bus.subjects, config.flows);
    if (config.flows.hostAccess)
      log.warn(
        `[flows] PLANTGRAPH_FLOWS_HOST_ACCESS=on: exec, file, watch, tcp and udp nodes are loaded; whoever can deploy flows has shell access to this host${config.production ? ' (production)' : ''}`,
      );
    let credentialSecret = config.flows.credentialSecret;
    if (!credentialSecret) {
      const stored = await store.credentialSecret(plant);
      credentialSecret = stored.secret;
      log.log(
        `[flows] credential secret for plant "${plant}": ${stored.generated ? 'generated now and stored' : 'the one stored'} in the database (table flow_plant); set PLANTGRAPH_FLOWS_CREDENTIAL_SECRET to manage it yourself (required in production)`,
      );
    }

    const principal = Principal.service(`flows:${plant}`, grants);
    const embedded: EmbeddedHub = { plant, connect: () => new EmbeddedConnection(execute, contextFor, principal) };
    const nodesDir = nodePackageDir(log);

    let knownRevision: string | null = null;
    let saving = 0;
    const storage = nodeRedStorage(store, plant, {
      saving: () => {
        saving++;
      },
      saved: (id) => {
        saving--;
        if (id) knownRevision = id;
      },
    });
    const settings: Record<string, unknown> = {
      userDir,
      httpAdminRoot: FLOWS_EDITOR_PATH,
      httpNodeRoot: FLOWS_HTTP_PATH,
      credentialSecret,
      storageModule: storage,
      ...(config.auth.enabled ? { adminAuth: editorAdminAuth(services.authenticator, grants, log) } : {}),
      // No back door from function nodes into the hub or the machine.
      functionGlobalContext: {},
      functionExternalModules: false,
      // Host nodes not loaded and function nodes timed out, as the deploy check requires (flow-policy.ts).
      ...nodeRedPolicySettings(config.flows),
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
      nodesDir,
      // Flows start only on the replica holding the lease (read live by Node-RED; not settable through its API).
      runtimeFlowState: 'stop',
      logging: {
        console: { level: 'off' },
        plantgraph: {
          level: 'info',
          metrics: false,
          audit: false,
          handler: () => (msg: { level: number; msg: unknown; type?: string; name?: string; id?: string }) => {
            // Expected on a plant whose flows hold no credentials yet.
            if (msg.msg === 'Encrypted credentials not found' && storage.noCredentialsStored)
              msg = { ...msg, level: 40 };
            const text =
              `[flows] ${msg.type ? `[${msg.type}:${msg.name || msg.id}] ` : ''}${typeof msg.msg === 'string' ? msg.msg : msg.msg instanceof Error ? msg.msg.message : JSON.stringify(msg.msg)}`.trim();
            if (msg.level <= 20) log.error(text);
            else if (msg.level <= 30) log.warn(text);
            else log.log(text);
          },
        },
      },
      plantgraph: embedded,
    };

    const RED = require('node-red') as NodeRed;
    // RED.start() loads the stored flows and tries to start them without waiting for either;
    // with runtimeFlowState 'stop' that ends in a runtime-state event. Wait for it before the lease acts.
    let initialStart!: () => void;
    const initialStarted = new Promise<void>((resolve) => (initialStart = resolve));
    const onRuntimeEvent = (event: { id?: string; payload?: { state?: string } }) => {
      if (event.id === 'runtime-state' && event.payload?.state) initialStart();
    };
    RED.events.on('runtime-event', onRuntimeEvent);
    // Node-RED's own express 4 (its `http in` nodes need it), mounted on the two prefixes.
    const express = createRequire(require.resolve('node-red'))('express') as () => ((
      req: IncomingMessage,
      res: ServerResponse,
    ) => void) & { use(path: string, app: unknown): void };
    const detached = createServer();
    RED.init(detached, settings);
    refuseBeforeDeploy(RED, (nodes) => checkFlowPolicy(nodes, config.flows));
    const host = express();
    host.use(FLOWS_EDITOR_PATH, RED.httpAdmin);
    host.use(FLOWS_HTTP_PATH, RED.httpNode);
    await RED.start();
    cleanup.unshift(() => RED.stop());
    await Promise.race([initialStarted, new Promise((r) => setTimeout(r, 15_000).unref())]);
    RED.events.off('runtime-event', onRuntimeEvent);

    let leader = false;
    let reloading = Promise.resolve();
    const reload = (why: string) => {
      reloading = reloading
        .then(async () => {
          const current = await store.current(plant);
          knownRevision = current?.id ?? null;
          // Stored under another policy (or before it existed): Node-RED would wait for the missing types.
          const refusal = current && flowPolicyRefusal(parseFlows(current.flows), config.flows);
          if (refusal) log.error(`[flows] revision ${current.id} of plant "${plant}" will not start. ${refusal}`);
          log.log(
            `[flows] ${why}: loading revision ${knownRevision ?? '(none)'}${leader ? ' and running it' : ' (standby: flows stay stopped)'}`,
          );
          await RED.nodes.loadFlows(leader);
        })
        .catch((err: Error) => log.error(`[flows] reloading the flows failed: ${err.message}`));
      return reloading;
    };
    const lease: Lease = config.databaseUrl
      ? new PostgresLease(config.databaseUrl, `plantgraph:flows:${plant}`, 'flows', log)
      : new LocalLease();
    cleanup.unshift(() => lease.stop());
    await lease.start(async (isLeader) => {
      leader = isLeader;
      settings.runtimeFlowState = isLeader ? 'start' : 'stop';
      if (isLeader) {
        log.log(`[flows] leader for plant "${plant}": starting the flows`);
        await reload('became leader');
      } else {
        log.warn(`[flows] no longer leader for plant "${plant}": flows stopped`);
        reloading = reloading
          .then(() => RED.nodes.stopFlows())
          .catch((err: Error) => log.error(`[flows] stopping the flows failed: ${err.message}`));
        await reloading;
      }
    });
    if (!lease.leader)
      log.log(`[flows] standby for plant "${plant}": editor served, flows stopped until this replica gets the lease`);

    // Deploys through another replica (or `plantgraph flows import`) land in the shared database.
    const watcher = setInterval(() => {
      if (saving) return;
      store
        .latestRevisionId(plant)
        .then((id) => {
          if (id !== knownRevision && !saving) return reload(`revision ${id} was stored elsewhere`);
        })
        .catch((err: Error) => log.warn(`[flows] cannot check for new flow revisions: ${err.message}`));
    }, 2000);
    cleanup.unshift(() => clearInterval(watcher));

    const endpoints = new FlowEndpointGuard(gate, config.flows.publicHttpPaths, FLOWS_HTTP_PATH);
    const failed = (what: string) => (err: Error) => log.error(`[flows] ${what} failed: ${err.stack ?? err.message}`);
    return {
      plant,
      embedded,
      get leader() {
        return lease.leader;
      },
      handleRequest(req, res) {
        const path = (req.url ?? '/').split('?')[0]!;
        if (under(path, FLOWS_EDITOR_PATH)) host(req, res);
        else if (under(path, FLOWS_HTTP_PATH))
          endpoints
            .admitRequest(req, res)
            .then((admitted) => admitted && host(req, res))
            .catch((err: Error) => {
              failed(`${req.method} ${path}`)(err);
              if (!res.headersSent) res.writeHead(500).end();
            });
        else return false;
        return true;
      },
      handleUpgrade(req, socket, head) {
        const path = (req.url ?? '/').split('?')[0]!;
        if (path.startsWith(`${FLOWS_EDITOR_PATH}/`)) detached.emit('upgrade', req, socket, head);
        else if (path.startsWith(`${FLOWS_HTTP_PATH}/`))
          endpoints
            .admitUpgrade(req, socket)
            .then((admitted) => admitted && detached.emit('upgrade', req, socket, head))
            .catch((err: Error) => {
              failed(`upgrade ${path}`)(err);
              socket.destroy();
            });
        else return false;
        return true;
      },
      close: async () => {
        for (const step of cleanup.splice(0))
          await Promise.resolve()
            .then(step)
            .catch((err: Error) => log.error(`[flows] shutdown step failed: ${err.message}`));
      },
    };
  } catch (err) {
    for (const step of cleanup.splice(0))
      await Promise.resolve()
        .then(step)
        .catch(() => {});
    throw err;
  }
}

/** The PlantGraph node package's folder, when it is installed and declares its nodes; else none. */
function nodePackageDir(log: Log): string[] {
  try {
    const manifest = require.resolve(`${NODE_PACKAGE}/package.json`);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { 'node-red'?: unknown };
    if (pkg['node-red']) return [dirname(manifest)];
    log.log(`[flows] ${NODE_PACKAGE} declares no Node-RED nodes yet; starting with the core nodes only`);
  } catch {
    log.log(`[flows] ${NODE_PACKAGE} is not installed; starting with the core nodes only`);
  }
  return [];
}

/**
 * Checks every deploy through Node-RED's runtime API (what the editor's admin API calls) before
 * Node-RED touches anything: refused there, its credential store and the running flows stay as
 * they were. The storage checks again (`FlowStore.saveRevision`); this is what keeps the refusal clean.
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
