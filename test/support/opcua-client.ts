import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributeIds,
  CallRequest,
  type CallResponse,
  type ClientSession,
  DataType,
  MessageSecurityMode,
  type NodeId,
  NodeIdType,
  NodeId as NodeIdClass,
  OPCUACertificateManager,
  OPCUAClient,
  promoteOpaqueStructure,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
  VariantArrayType,
} from 'node-opcua';
import { LINE_1_ASSIGNMENTS, plannedWindow } from './regulated.js';

interface Transactions {
  performMessageTransaction(request: CallRequest, callback: (err: Error | null, response?: unknown) => void): void;
}

export const JOB_CONTROL_NAMESPACE = 'http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/';

/** A Job Control client as an MES-aware machine or SCADA runs it: node-opcua, its PKI in a temporary folder. */
export class JobControlClient {
  private constructor(
    readonly client: OPCUAClient,
    readonly session: ClientSession,
    readonly ns: number,
  ) {}

  /** A client PKI folder for a test file's clients; `rm` it when done. */
  static async pkiFolder(): Promise<{ path: string; rm(): Promise<void> }> {
    const path = await mkdtemp(join(tmpdir(), 'plantgraph-opcua-client-'));
    return { path, rm: () => rm(path, { recursive: true, force: true }) };
  }

  /**
   * Connects and opens a session; without `key` the session is anonymous. Rejects as the server refuses.
   * Clients of one `pki` folder share the certificate made at the first connection (making one takes seconds).
   */
  static async connect(endpointUrl: string, pki: string, key?: string | UserCertificate): Promise<JobControlClient> {
    const client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0, initialDelay: 100 },
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: pki }),
    });
    try {
      await client.connect(endpointUrl);
      const identity: UserIdentityInfo =
        typeof key === 'string'
          ? { type: UserTokenType.UserName, userName: 'mes', password: key }
          : key
            ? { type: UserTokenType.Certificate, certificateData: key.der, privateKey: key.privateKey }
            : { type: UserTokenType.Anonymous };
      const session = await client.createSession(identity);
      const namespaces = await session.readNamespaceArray();
      return new JobControlClient(client, session, namespaces.indexOf(JOB_CONTROL_NAMESPACE));
    } catch (err) {
      await client.disconnect().catch(() => {});
      throw err;
    }
  }

  /** The value of the variable `name` under `from` (structures decoded), or its status when not Good. */
  async readValue(from: NodeId, name: string): Promise<unknown> {
    const value = await this.session.read({ nodeId: await this.child(from, name), attributeId: AttributeIds.Value });
    if (value.statusCode.name !== 'Good') return value.statusCode.name;
    const items = (value.value.value ?? []) as unknown[];
    await promoteOpaqueStructure(
      this.session as never,
      items.map((v) => ({ value: { dataType: DataType.ExtensionObject, value: v } })) as never,
    );
    return value.value.value;
  }

  /** The node under `from` whose browse name is `name`, found by browsing (forward hierarchical references). */
  async child(from: NodeId | string, name: string): Promise<NodeId> {
    const result = await this.session.browse(from as never);
    const ref = result.references?.find((r) => r.browseName.name === name);
    if (!ref)
      throw new Error(`no ${name} under ${from.toString()}: ${result.references?.map((r) => r.browseName.name)}`);
    return ref.nodeId;
  }

  /** The work center's object, browsed from Objects. */
  async workCenter(path: string): Promise<NodeId> {
    return this.child(await this.child('ns=0;i=85', 'WorkCenters'), path);
  }

  /** Calls `method` of `object`: the result's status, outputs and the status's text, as the client sees them. */
  async call(
    object: NodeId,
    method: string | NodeId,
    args: { dataType: DataType; value: unknown; arrayType?: VariantArrayType }[],
  ) {
    const methodId = typeof method === 'string' ? await this.child(object, method) : method;
    // returnDiagnostics 0x40: the operation-level localized text, where the server says why it refused.
    const request = new CallRequest({
      methodsToCall: [{ objectId: object, methodId, inputArguments: args }],
      requestHeader: { returnDiagnostics: 0x40 },
    });
    const response = await new Promise<CallResponse>((resolve, reject) =>
      (this.session as unknown as Transactions).performMessageTransaction(request, (err, r) =>
        err ? reject(err) : resolve(r as CallResponse),
      ),
    );
    const result = response.results![0];
    const diagnostic = response.diagnosticInfos?.[0];
    const text = diagnostic ? (response.responseHeader.stringTable?.[diagnostic.localizedText] ?? '') : '';
    const outputArguments = result.outputArguments ?? [];
    // Structures of the Job Control namespace arrive opaque until decoded by the types the server describes.
    await promoteOpaqueStructure(
      this.session as never,
      outputArguments.map((value) => ({ value })),
    );
    return { statusCode: result.statusCode, outputArguments, text };
  }

  /** A Store/StoreAndStart/Update argument: `ISA95JobOrderDataType` encoded by the client from the server's types. */
  async jobOrder(fields: Record<string, unknown>) {
    const dataType = new NodeIdClass(NodeIdType.NUMERIC, 3008, this.ns);
    const value = await this.session.constructExtensionObject(dataType, fields);
    return { dataType: DataType.ExtensionObject, value };
  }

  async close(): Promise<void> {
    await this.session.close().catch(() => {});
    await this.client.disconnect().catch(() => {});
  }
}

/** The demo bracket as a job order for line 1: work master, Produced quantity, requirements per segment. */
export const bracketJob = (id: string, n: number) => {
  const { plannedStart, plannedEnd } = plannedWindow(n);
  return {
    jobOrderID: id,
    workMasterID: [{ ID: 'PD-BRACKET-A' }],
    startTime: new Date(plannedStart),
    endTime: new Date(plannedEnd),
    materialRequirements: [{ materialDefinitionID: 'FG-BRACKET-A', materialUse: 'Produced', quantity: '120' }],
    equipmentRequirements: LINE_1_ASSIGNMENTS.map((a) => ({ ID: a.equipment, equipmentUse: a.segment })),
    personnelRequirements: LINE_1_ASSIGNMENTS.flatMap((a) =>
      a.operators.map((o) => ({ ID: o, personnelUse: a.segment })),
    ),
  };
};

/** An X.509 user certificate with its private key, as an operator's badge or a SCADA's identity would be. */
export interface UserCertificate {
  der: Buffer;
  pem: string;
  privateKey: string;
}

/**
 * A self-signed user certificate made in `folder/<name>` (node-opcua's own tooling; seconds per certificate),
 * valid from `startDate` for `days`.
 */
export async function userCertificate(
  folder: string,
  name: string,
  { startDate = new Date(Date.now() - 60_000), days = 30 } = {},
): Promise<UserCertificate> {
  const rootFolder = join(folder, name);
  const manager = new OPCUACertificateManager({ rootFolder });
  try {
    await manager.initialize();
    const outputFile = join(rootFolder, 'user.pem');
    await manager.createSelfSignedCertificate({
      subject: `/CN=${name}/O=PlantGraph tests`,
      applicationUri: `urn:plantgraph-tests:${name}`,
      dns: [],
      startDate,
      validity: days,
      outputFile,
    });
    const pem = await readFile(outputFile, 'utf8');
    return { pem, der: new X509Certificate(pem).raw, privateKey: await readFile(manager.privateKey, 'utf8') };
  } finally {
    await manager.dispose();
  }
}

export const comment = (text: string) => ({
  dataType: DataType.LocalizedText,
  arrayType: VariantArrayType.Array,
  value: text ? [{ text }] : [],
});
export const jobId = (id: string) => ({ dataType: DataType.String, value: id });
