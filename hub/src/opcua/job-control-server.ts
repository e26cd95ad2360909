import { rm } from 'node:fs/promises';
import {
  type AddressSpace,
  DataType,
  type ISessionContext,
  type LocalizedText,
  NodeId,
  NodeIdType,
  PermissionFlag,
  SecurityPolicy,
  type ServerSession,
  StatusCodes,
  type UAEventType,
  type UAObject,
  type Variant,
  VariantArrayType,
  nodesets,
} from 'node-opcua';
import { JobOrderState, Permission } from '@plantgraph/schema';
import type { Principal } from '../core/principal.js';
import type { JobControlCommands } from './job-control-commands.js';
import { type JobOrderLists, jobResponse, jobState, serveJobOrderLists } from './job-control-lists.js';
import { JobControlOpcuaServer, type JobControlSignIn, type SessionCredential } from './job-control-sign-in.js';
import { JOB_STATE_NUMBER, JobControlRefusal, type JobOrderFields, isRefusal } from './job-order-plan.js';
import { APPLICATION_NAME, APPLICATION_URI, openServerPki } from './job-control-pki.js';
import type { ServerIdentity } from './server-identity.js';

/**
 * The node-opcua half of the Job Control face, loaded only when the face is on (`job-control-face.ts`
 * imports it dynamically): an OPC UA server with the ISA-95 Job Control nodeset, a receiver and a response
 * provider per work center, sessions authenticated with hub API keys, and status events.
 */
/** ReturnStatus 0: the command was carried out (a refusal is the call's Bad status, with its text). */
const OK = { dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0, 0] };

export const JOB_CONTROL_NAMESPACE = 'http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/';

export interface JobControlServerOptions {
  port: number;
  host: string;
  /** The server's own certificate and private key, one per installation (made at the first start). */
  identity: { load(): Promise<ServerIdentity | null>; keep(made: ServerIdentity): Promise<ServerIdentity> };
  /** Whether a client application's certificate (DER chain) may open a secure channel: the trust list. */
  applications: { accepts(der: Buffer): Promise<boolean> };
  workCenters: { path: string; name: string }[];
  /** Who signs in (API keys as passwords, trusted user certificates), with the failed sign-ins per address. */
  signIn: JobControlSignIn;
  commands: JobControlCommands;
  /** The receivers' and providers' list variables, read as the face. */
  lists: JobOrderLists;
  warn(message: string): void;
}

export interface JobControlServer {
  endpointUrl: string;
  /** Announces a change of an order at `path` as an `ISA95JobOrderStatusEventType` event. */
  announce(change: { number: string; path: string; state: JobOrderState; at: Date }): void;
  close(): Promise<void>;
}

export async function startJobControlServer(o: JobControlServerOptions): Promise<JobControlServer> {
  // Each session keeps its credential (key or certificate), checked again at every call: a revoked key or a
  // distrusted certificate stops working within the key cache.
  const credentials = new WeakMap<object, SessionCredential>();
  // The principal's grants when the session was activated, for what node-opcua itself decides per session: which
  // work centers it may browse and whose events it receives (roles below). Calls are checked anew.
  const grantsAtSignIn = new WeakMap<object, Principal>();
  const { folder: pkiFolder, manager: serverCertificateManager } = await openServerPki(o);
  const server = new JobControlOpcuaServer(
    {
      port: o.port,
      host: o.host,
      hostname: o.host === '0.0.0.0' || o.host === '::' ? undefined : o.host,
      nodeset_filename: [nodesets.standard, nodesets.isa95JobControl],
      serverCertificateManager,
      allowAnonymous: false,
      // No deprecated policies (Basic128Rsa15, Basic256): they would also be offered to encrypt the password (the
      // API key) on a channel without security.
      securityPolicies: [
        SecurityPolicy.None,
        SecurityPolicy.Basic256Sha256,
        SecurityPolicy.Aes128_Sha256_RsaOaep,
        SecurityPolicy.Aes256_Sha256_RsaPss,
      ],
      buildInfo: { productName: 'PlantGraph ISA-95 Job Control', manufacturerName: 'PlantGraph' },
      // One URI for the installation, not the host's: it is in the certificate every replica presents.
      serverInfo: { applicationUri: APPLICATION_URI, applicationName: { text: APPLICATION_NAME } },
    },
    o.signIn,
    (session, credential, principal) => {
      credentials.set(session, credential);
      grantsAtSignIn.set(session, principal);
    },
  );
  await server.initialize();
  const space = server.engine.addressSpace!;
  const ns = space.getNamespaceIndex(JOB_CONTROL_NAMESPACE);
  const readers = readerRoles(space, o.workCenters);
  // A session holds the role "may read <work center>" for each work center its key may read (OPC 10000-18
  // role resolution): its node, receiver and provider are invisible to others, and so are their events.
  const rolesOf = new WeakMap<object, NodeId[]>();
  server.roleResolvers.push({ resolveRoles: (token) => rolesOf.get(token) ?? [] });
  server.on('session_activated', (session: ServerSession) => {
    const principal = grantsAtSignIn.get(session);
    if (!principal || !session.userIdentityToken) return;
    const roles = o.workCenters.filter((w) => principal.can(Permission.Read, w.path)).map((w) => readers.get(w.path)!);
    rolesOf.set(session.userIdentityToken, roles);
  });
  const eventType = space.getOwnNamespace().addEventType({
    browseName: 'PlantGraphJobOrderStatusEventType',
    subtypeOf: space.findEventType('ISA95JobOrderStatusEventType', ns)!,
    isAbstract: false,
  });
  const receivers = new Map<string, UAObject>();
  const folder = space.getOwnNamespace().addFolder(space.rootFolder.objects, { browseName: 'WorkCenters' });
  for (const wc of o.workCenters) {
    const center = space.getOwnNamespace().addObject({
      organizedBy: folder,
      browseName: wc.path,
      displayName: wc.name,
      description: `Work center ${wc.path}`,
      eventNotifier: 1,
    });
    const at: Center = { space, ns, node: center, path: wc.path, o, credentials };
    const receiver = addReceiver(at);
    receivers.set(wc.path, receiver);
    const provider = addResponseProvider(at);
    const lists = serveJobOrderLists({ space, ns, path: wc.path, receiver, provider }, o.lists, o.warn);
    const only = [{ roleId: readers.get(wc.path)!, permissions: SEEN }];
    for (const node of [center, receiver, provider, ...lists]) node.setRolePermissions(only);
  }
  try {
    await server.start();
  } catch (err) {
    await server.shutdown(0).catch(() => {});
    await serverCertificateManager.dispose();
    await rm(pkiFolder, { recursive: true, force: true });
    throw new Error(
      `PLANTGRAPH_OPCUA_PORT: the OPC UA Job Control face cannot listen on ${o.host}:${o.port} (${(err as Error).message}); choose a free port or unset it.`,
    );
  }
  return {
    endpointUrl: server.getEndpointUrl(),
    announce(change) {
      const receiver = receiverOf(receivers, change.path);
      if (!receiver) return;
      receiver.raiseEvent(eventType as UAEventType, {
        message: {
          dataType: DataType.LocalizedText,
          value: { text: `Job order ${change.number} is ${change.state}.` },
        },
        jobOrder: {
          dataType: DataType.ExtensionObject,
          value: space.constructExtensionObject(space.findDataType('ISA95JobOrderDataType', ns)!, {
            jobOrderID: change.number,
          }),
        },
        jobState: {
          dataType: DataType.ExtensionObject,
          arrayType: VariantArrayType.Array,
          value: [jobState(space, ns, change.state)],
        },
      });
    },
    close: async () => {
      await server.shutdown(0);
      await serverCertificateManager.dispose();
      await rm(pkiFolder, { recursive: true, force: true });
    },
  };
}

/** The receiver of the work center containing `path` (an order runs on the center or equipment below it). */
function receiverOf(receivers: Map<string, UAObject>, path: string): UAObject | undefined {
  for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
    const r = receivers.get(p);
    if (r) return r;
  }
  return undefined;
}

/** A work center's node and what its methods need. */
interface Center {
  space: AddressSpace;
  ns: number;
  node: UAObject;
  path: string;
  o: JobControlServerOptions;
  credentials: WeakMap<object, SessionCredential>;
}

type Outputs = { dataType: DataType; arrayType?: VariantArrayType; value: unknown }[];
type Run = (principal: Principal, args: Variant[]) => Promise<JobControlRefusal | Outputs | null>;

/** Binds a method: the session's principal (re-checked at each call), the command, its status and ReturnStatus. */
function bind(center: Center, owner: UAObject, name: string, run: Run): void {
  const { o, ns, path } = center;
  owner.getMethodByName(name, ns)!.bindMethod(async (args: Variant[], context: ISessionContext) => {
    const credential = context.session ? center.credentials.get(context.session) : undefined;
    const principal = credential ? await o.signIn.again(credential).catch(() => null) : null;
    if (!principal)
      return refused(
        new JobControlRefusal(
          'BadUserAccessDenied',
          'Sign in with a hub API key or a user certificate the hub trusts.',
        ),
      );
    try {
      const outcome = await run(principal, args);
      if (isRefusal(outcome)) {
        if (outcome.status === 'BadInternalError') o.warn(`[opcua] ${name} at ${path}: ${outcome.message}`);
        return refused(outcome);
      }
      return { statusCode: StatusCodes.Good, outputArguments: [...(outcome ?? []), OK] };
    } catch (err) {
      o.warn(`[opcua] ${name} at ${path} failed: ${(err as Error).stack ?? err}`);
      return refused(new JobControlRefusal('BadInternalError', 'The hub failed; see its log.'));
    }
  });
}

function addReceiver(center: Center): UAObject {
  const { space, ns, path: workCenter, o } = center;
  const methods = ['Store', 'StoreAndStart', 'Start', 'Update', 'Stop', 'Cancel', 'Clear', 'Pause', 'Resume'];
  const receiver = space.findObjectType('ISA95JobOrderReceiverObjectType', ns)!.instantiate({
    componentOf: center.node,
    browseName: { name: 'JobOrderReceiver', namespaceIndex: ns },
    optionals: [...methods, 'Abort', 'RevokeStart'],
    eventSourceOf: center.node,
  });
  const c = o.commands;
  const job = (args: Variant[]) => args[0].value as JobOrderFields;
  const id = (args: Variant[]) => String(args[0].value ?? '');
  const comment = (args: Variant[]) =>
    ((args[1]?.value as LocalizedText[] | null) ?? [])
      .map((t) => t?.text ?? '')
      .join(' ')
      .trim();
  const unsupported =
    (why: string): Run =>
    async () =>
      new JobControlRefusal('BadNotSupported', why);
  const runs: Record<string, Run> = {
    Store: (p, a) => c.store(p, workCenter, job(a)),
    StoreAndStart: (p, a) => c.storeAndStart(p, workCenter, job(a)),
    Update: (p, a) => c.update(p, workCenter, job(a)),
    Start: (p, a) => c.start(p, workCenter, id(a)),
    Pause: (p, a) => c.pause(p, workCenter, id(a), comment(a)),
    Resume: (p, a) => c.resume(p, workCenter, id(a)),
    Cancel: (p, a) => c.cancel(p, workCenter, id(a), comment(a)),
    Abort: (p, a) => c.abort(p, workCenter, id(a), comment(a)),
    Clear: (p, a) => c.clear(p, workCenter, id(a)),
    Stop: unsupported(
      'Stop: a hub work order ends when its steps are executed and it is completed (GraphQL completeWorkOrder), not by a command; use Pause or Abort.',
    ),
    RevokeStart: unsupported('RevokeStart: a released hub work order cannot go back to planning; use Cancel.'),
  };
  for (const [name, run] of Object.entries(runs)) bind(center, receiver, name, run);
  return receiver;
}

function addResponseProvider(center: Center): UAObject {
  const { space, ns, path: workCenter, o } = center;
  const provider = space.findObjectType('ISA95JobResponseProviderObjectType', ns)!.instantiate({
    componentOf: center.node,
    browseName: { name: 'JobResponseProvider', namespaceIndex: ns },
    optionals: ['JobOrderResponseList'],
  });
  const encode = (r: Parameters<typeof jobResponse>[2]) => jobResponse(space, ns, r);
  bind(center, provider, 'RequestJobResponseByJobOrderID', async (principal, args) => {
    const r = await o.commands.response(principal, workCenter, String(args[0].value ?? ''));
    return isRefusal(r) ? r : [{ dataType: DataType.ExtensionObject, value: encode(r) }];
  });
  bind(center, provider, 'RequestJobResponseByJobOrderState', async (principal, args) => {
    const asked = askedState((args[0].value as StateFields[] | null) ?? []);
    if (isRefusal(asked)) return asked;
    // A state with substates matches no hub order (the hub's job states have none).
    const r = asked.substates ? [] : await o.commands.responses(principal, workCenter, [asked.state], true);
    return isRefusal(r)
      ? r
      : [{ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: r.map(encode) }];
  });
  return provider;
}

/** What a reader of a work center may do on its nodes (methods check the caller themselves). */
const SEEN =
  PermissionFlag.Browse | PermissionFlag.Read | PermissionFlag.ReceiveEvents | PermissionFlag.ReadRolePermissions;

/** A role node id per work center, "may read <path>", in the hub's own namespace. */
function readerRoles(space: AddressSpace, workCenters: { path: string }[]): Map<string, NodeId> {
  const own = space.getOwnNamespace().index;
  return new Map(workCenters.map((w) => [w.path, new NodeId(NodeIdType.STRING, `reader:${w.path}`, own)]));
}

function refused(r: JobControlRefusal) {
  return { statusCode: StatusCodes[r.status], statusText: r.message };
}

type StateFields = { stateNumber?: number | null; stateText?: { text?: string | null } | null };

/**
 * RequestJobResponseByJobOrderState's argument: an `ISA95StateDataType` array is one state, the main state first
 * and its substates after it (OPC 10031-4), named by StateNumber or, when that is 0, by StateText.
 */
function askedState(path: StateFields[]): { state: JobOrderState; substates: boolean } | JobControlRefusal {
  const [main] = path;
  const byNumber = (Object.entries(JOB_STATE_NUMBER) as [JobOrderState, number][]).find(
    ([, v]) => v === main?.stateNumber,
  )?.[0];
  const text = main?.stateText?.text?.trim().toLowerCase();
  const byText = Object.values(JobOrderState).find((s) => s.toLowerCase() === text);
  const state = main?.stateNumber ? byNumber : byText;
  if (!state)
    return new JobControlRefusal(
      'BadInvalidArgument',
      'JobOrderState: give the state first, by StateNumber 1 to 6 or StateText ' +
        `(${Object.values(JobOrderState).join(', ')}).`,
    );
  return { state, substates: path.length > 1 };
}
