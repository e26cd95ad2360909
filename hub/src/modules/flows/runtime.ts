import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { dirname } from 'node:path';
import { createRemoteConnection, type EmbeddedHub } from '@plantgraph/node-red-contrib-plantgraph';
import type { HubConfig } from '../../config.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Services } from '../../services.js';
import type { Gate } from '../../graphql/gate.js';
import { Principal } from '../../core/principal.js';
import { editorAdminAuth } from './editor-auth.js';
import { type Lease, LocalLease, PostgresLease } from '../../infrastructure/database/lease.js';
import { FlowStore, nodeRedStorage } from './storage.js';
import { flowPolicyRefusal } from './flow-policy.js';
import { parseFlows } from './flow-document.js';
import { FlowEndpointGuard } from './http-endpoints.js';
import {
  CHILD_CALLS,
  FLOWS_EDITOR_PATH,
  FLOWS_HTTP_PATH,
  HUB_CALLS,
  NODE_PACKAGE,
  STORAGE_METHODS,
  type StorageMethod,
} from './child-protocol.js';
import { FlowsProcess } from './flows-process.js';
import { proxyRequest, proxyUpgrade } from './proxy.js';

export { FLOWS_EDITOR_PATH, FLOWS_HTTP_PATH, NODE_PACKAGE };

const require = createRequire(import.meta.url);
type Log = Pick<Console, 'log' | 'warn' | 'error'>;

export interface FlowsRuntime {
  readonly plant: string;
  /**
   * A connection as the flows have it (the node package's remote connection to this hub, as
   * `flows:<plant>`, with a credential of its own revoked on close); `connect()` after `start`.
   */
  readonly embedded: EmbeddedHub;
  /** Whether this replica holds the lease and runs the flows. */
  readonly leader: boolean;
  /** The supervised Node-RED process (its pid, how often it started). */
  readonly process: FlowsProcess;
  /**
   * Once the hub listens at `hubUrl` (loopback): starts the flows process, then takes part in the
   * lease. Started after the API answers, so Node-RED's loading does not hold up the hub's start.
   */
  start(hubUrl: string): Promise<void>;
  /** How far the flows are, for `/readyz`'s body (the API's readiness does not depend on them). */
  readonly status: FlowsStatus;
  /** Serves requests under `/flows` and `/flows-http`; false for any other path. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes WebSocket upgrades under `/flows/` and `/flows-http/`; false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): Promise<void>;
}

export interface FlowsStatus {
  status: 'starting' | 'running' | 'failed';
  /** Since when it has been in this status. */
  since: string;
  /** Why the flows did not start. */
  error?: string;
}

export interface FlowsRuntimeDeps {
  config: HubConfig;
  db: Database;
  bus: MessageBus;
  services: Services;
  /** The GraphQL gate: `http in` endpoints authenticate and are rate limited through it. */
  gate: Pick<Gate, 'admit' | 'limit'>;
  log: Log;
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * The flows of `config.flows.plant`: Node-RED in a supervised child process (`flows-process.ts`),
 * its editor and `http in` endpoints proxied from the hub's port, its storage in the hub's
 * database, its calls into the hub through the public API. Flows run only on the replica holding
 * the plant's lease; the others serve the editor with the flows stopped and follow new revisions.
 */
export async function startFlowsRuntime({
  config,
  db,
  bus,
  services,
  gate,
  log,
}: FlowsRuntimeDeps): Promise<FlowsRuntime> {
  const { plant, grants } = config.flows;
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
  const mint = () => services.authenticator.issueProcessCredential(principal);
  let hubUrl: string | null = null;

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
  const editorAuth = editorAdminAuth(services.authenticator, grants, log);
  const lease: Lease = config.databaseUrl
    ? new PostgresLease(config.databaseUrl, `plantgraph:flows:${plant}`, 'flows', log)
    : new LocalLease();
  const nodesDir = nodePackageDir(log);
  const child = new FlowsProcess({
    settings: config.flows.process,
    mintCredential: mint,
    startFor: () => ({
      plant,
      hubUrl,
      credentialSecret: credentialSecret!,
      policy: config.flows,
      editorAuth: config.auth.enabled,
      nodesDir,
    }),
    leader: () => lease.leader,
    handlers: {
      [HUB_CALLS.storage]: (method: StorageMethod, args: unknown[]) => {
        if (!STORAGE_METHODS.includes(method)) throw new Error(`no storage call "${method}"`);
        return (storage[method] as (...a: unknown[]) => unknown)(...args);
      },
      [HUB_CALLS.editorUser]: (credential: string) => editorAuth.tokens(credential),
      [HUB_CALLS.editorLogin]: (password: string) => editorAuth.authenticate('', password),
    },
    log,
  });

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
          `[flows] ${why}: loading revision ${knownRevision ?? '(none)'}${lease.leader ? ' and running it' : ' (standby: flows stay stopped)'}`,
        );
        await child.call(CHILD_CALLS.reload, [], 60_000);
      })
      .catch((err: Error) => log.error(`[flows] reloading the flows failed: ${err.message}`));
    return reloading;
  };
  const cleanup: (() => unknown)[] = [() => child.close()];
  // What the child loads as it starts; the watcher reloads it when a newer one is stored.
  knownRevision = await store.latestRevisionId(plant);
  let status: FlowsStatus = { status: 'starting', since: new Date().toISOString() };
  const endpoints = new FlowEndpointGuard(gate, config.flows.publicHttpPaths, FLOWS_HTTP_PATH);
  const failed = (what: string) => (err: Error) => log.error(`[flows] ${what} failed: ${err.stack ?? err.message}`);
  const close = async () => {
    for (const step of cleanup.splice(0))
      await Promise.resolve()
        .then(step)
        .catch((err: Error) => log.error(`[flows] shutdown step failed: ${err.message}`));
  };

  return {
    plant,
    process: child,
    embedded: {
      plant,
      connect: () => {
        if (!hubUrl) throw new Error('the flows runtime has not started yet');
        const credential = mint();
        const connection = createRemoteConnection({ url: hubUrl, apiKey: credential.token });
        const closeConnection = connection.close.bind(connection);
        connection.close = () => closeConnection().finally(credential.revoke);
        return connection;
      },
    },
    get leader() {
      return lease.leader;
    },
    get status() {
      return status;
    },
    async start(url) {
      hubUrl = url;
      try {
        // Its flows stay stopped until the lease says.
        await child.start();
        // After the child stopped its flows: another replica must not start them while these still run.
        cleanup.push(() => lease.stop());
        await lease.start(async (isLeader) => {
          if (isLeader) log.log(`[flows] leader for plant "${plant}": starting the flows`);
          else log.warn(`[flows] no longer leader for plant "${plant}": flows stopped`);
          reloading = reloading
            .then(() => child.call<void>(CHILD_CALLS.leader, [isLeader], 60_000))
            .catch((err: Error) =>
              log.error(`[flows] ${isLeader ? 'starting' : 'stopping'} the flows failed: ${err.message}`),
            );
          await reloading;
        });
        if (!lease.leader)
          log.log(
            `[flows] standby for plant "${plant}": editor served, flows stopped until this replica gets the lease`,
          );
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
        status = { status: 'running', since: new Date().toISOString() };
      } catch (err) {
        status = { status: 'failed', since: new Date().toISOString(), error: (err as Error).message };
        await close();
        throw err;
      }
    },
    handleRequest(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (under(path, FLOWS_EDITOR_PATH)) proxyRequest(child.target, req, res);
      else if (under(path, FLOWS_HTTP_PATH))
        endpoints
          .admitRequest(req, res)
          .then((admitted) => admitted && proxyRequest(child.target, req, res))
          .catch((err: Error) => {
            failed(`${req.method} ${path}`)(err);
            if (!res.headersSent) res.writeHead(500).end();
          });
      else return false;
      return true;
    },
    handleUpgrade(req, socket, head) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith(`${FLOWS_EDITOR_PATH}/`)) proxyUpgrade(child.target, req, socket, head);
      else if (path.startsWith(`${FLOWS_HTTP_PATH}/`))
        endpoints
          .admitUpgrade(req, socket)
          .then((admitted) => admitted && proxyUpgrade(child.target, req, socket, head))
          .catch((err: Error) => {
            failed(`upgrade ${path}`)(err);
            socket.destroy();
          });
      else return false;
      return true;
    },
    close,
  };
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
