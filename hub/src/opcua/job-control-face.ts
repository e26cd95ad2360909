import { EquipmentLevel, JOB_ORDER_STATE, Role, WHOLE_INSTALLATION } from '@plantgraph/schema';
import { Principal } from '../core/principal.js';
import type { ExecuteOperation } from '../graphql/execute.js';
import type { HubLog } from '../extensions.js';
import type { HubConfig } from '../config.js';
import type { Services } from '../services.js';
import type { WorkOrderChange } from '../modules/work-order/work-order-events.js';
import type { Database } from '../infrastructure/database/database.js';
import type { Gate } from '../graphql/gate.js';
import { JobControlCommands } from './job-control-commands.js';
import type { JobControlSignIn } from './job-control-sign-in.js';
import { type JobControlRefusal, isRefusal } from './job-order-plan.js';
import { JobOrderStore } from './job-order-store.js';
import { ServerIdentityStore } from './server-identity.js';
import { receiverResources } from './job-control-resources.js';

/** ISA-95 work centers that run production orders: each gets a Job Control receiver. */
export const WORK_CENTER_LEVELS = [
  EquipmentLevel.WorkCenter,
  EquipmentLevel.ProcessCell,
  EquipmentLevel.ProductionLine,
  EquipmentLevel.ProductionUnit,
];

export interface JobControlFaceOptions {
  port: number;
  host: string;
  /** The server's certificate and key, in the database (ADR 0046): every replica presents the same one. */
  identity: ServerIdentityStore;
  /** The trust list of client application certificates, in the database. */
  applications: { accepts(der: Buffer): Promise<boolean> };
  execute: ExecuteOperation;
  /** Who signs in: API keys and trusted user certificates, refused sign-ins counted per address. */
  signIn: JobControlSignIn;
  /** The job orders received, in the database. */
  received: JobOrderStore;
  workOrders: { subscribeChanges(principal: Principal, scope: string): AsyncIterable<WorkOrderChange> };
  log: HubLog;
}

/** The face when `PLANTGRAPH_OPCUA_PORT` is set, with the hub's in-process GraphQL and its API keys; else null. */
export function openJobControlFace(
  config: Pick<HubConfig, 'opcuaPort' | 'host' | 'dataDir'>,
  hub: {
    execute: ExecuteOperation;
    services: Pick<
      Services,
      'authenticator' | 'workOrder' | 'opcuaUserCertificates' | 'opcuaApplicationCertificates' | 'connectorSecrets'
    >;
    gate: Pick<Gate, 'admitFrom' | 'waitFor' | 'rejected'>;
    db: Database;
    log: HubLog;
  },
): Promise<JobControlFace | null> {
  if (config.opcuaPort == null) return Promise.resolve(null);
  const { authenticator, opcuaUserCertificates } = hub.services;
  const certificate = (der: Buffer) => opcuaUserCertificates.principalOf(der);
  return startJobControlFace({
    port: config.opcuaPort,
    host: config.host,
    identity: new ServerIdentityStore(hub.db, hub.services.connectorSecrets, config.dataDir),
    applications: hub.services.opcuaApplicationCertificates,
    execute: hub.execute,
    signIn: {
      withKey: (key, address) => hub.gate.admitFrom(`Bearer ${key}`, address),
      certificate,
      waitFor: (address) => hub.gate.waitFor(address),
      failed: (address) => hub.gate.rejected(address),
      again: (c) => ('key' in c ? authenticator.authenticate(`Bearer ${c.key}`) : certificate(c.certificate)),
    },
    received: new JobOrderStore(hub.db),
    workOrders: hub.services.workOrder,
    log: hub.log,
  });
}

export interface JobControlFace {
  endpointUrl: string;
  workCenters: string[];
  close(): Promise<void>;
}

/**
 * The OPC UA ISA-95 Job Control face (PLANTGRAPH_OPCUA_PORT): node-opcua is imported only here and only when the
 * face is on, so a hub without it neither loads nor pays for it. Receivers are made for the work centers that
 * exist at start; the face follows the work orders' events to announce their status.
 */
export async function startJobControlFace(o: JobControlFaceOptions): Promise<JobControlFace> {
  const started = performance.now();
  // The face's own reads (which work centers exist, the orders' events): Read everywhere, nothing else used.
  const face = Principal.service('opcua-job-control', [{ role: Role.Operator, scope: WHOLE_INSTALLATION }]);
  const workCenters = await listWorkCenters(o.execute, face);
  const { startJobControlServer } = await import('./job-control-server.js');
  const commands = new JobControlCommands(o.execute, o.received);
  const server = await startJobControlServer({
    port: o.port,
    host: o.host,
    identity: o.identity,
    applications: o.applications,
    workCenters,
    signIn: o.signIn,
    commands,
    lists: {
      orders: async (workCenter) => answered(await commands.list(face, workCenter)),
      responses: async (workCenter) => answered(await commands.responses(face, workCenter)),
      resources: (workCenter) => receiverResources(o.execute, face, workCenter),
    },
    warn: (m) => o.log.warn(m),
  });
  let open = true;
  const roots = [...new Set(workCenters.map((w) => w.path.split('/')[0]))];
  const streams = new Set<AsyncIterator<WorkOrderChange>>();
  const pumps = roots.map(async (root) => {
    // Bounded by the face's life: a stream that ends while the face is open (the bus was away) is followed anew.
    while (open) {
      const stream = o.workOrders.subscribeChanges(face, root)[Symbol.asyncIterator]();
      streams.add(stream);
      try {
        for (let r = await stream.next(); !r.done && open; r = await stream.next())
          server.announce({ ...r.value, state: JOB_ORDER_STATE[r.value.state] });
      } catch (err) {
        if (open) o.log.warn(`[opcua] order events interrupted (${(err as Error).message}); following again in 1 s`);
      }
      streams.delete(stream);
      if (open) await new Promise((r) => setTimeout(r, 1000));
    }
  });
  const ms = Math.round(performance.now() - started);
  o.log.log(`[opcua] ISA-95 Job Control at ${server.endpointUrl}: ${workCenters.length} work center(s), ${ms} ms`);
  return {
    endpointUrl: server.endpointUrl,
    workCenters: workCenters.map((w) => w.path),
    close: async () => {
      open = false;
      await Promise.all([...streams].map((s) => s.return?.()));
      await Promise.allSettled(pumps);
      await server.close();
    },
  };
}

/** A list as the face read it; a refusal (the face reads everywhere, so a fault) is thrown. */
function answered<T>(list: T[] | JobControlRefusal): T[] {
  if (isRefusal(list)) throw new Error(`${list.status}: ${list.message}`);
  return list;
}

async function listWorkCenters(execute: ExecuteOperation, face: Principal): Promise<{ path: string; name: string }[]> {
  const centers: { path: string; name: string }[] = [];
  let after: string | null = null;
  // Bounded: at most 100 pages of 500.
  for (let page = 0; page < 100; page++) {
    const r = await execute(
      face,
      `query ($l: [EquipmentLevel!], $a: String) { equipmentList(filter: { level: $l }, first: 500, after: $a) {
        edges { node { path name } } pageInfo { hasNextPage endCursor } } }`,
      { l: WORK_CENTER_LEVELS, a: after },
    );
    if (r.errors?.length) throw new Error(`[opcua] cannot list the work centers: ${r.errors[0].message}`);
    const list = r.data!.equipmentList as {
      edges: { node: { path: string; name: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    centers.push(...list.edges.map((e) => e.node));
    if (!list.pageInfo.hasNextPage) break;
    after = list.pageInfo.endCursor;
  }
  return centers;
}
