import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
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
  static async connect(endpointUrl: string, pki: string, key?: string): Promise<JobControlClient> {
    const client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0, initialDelay: 100 },
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: pki }),
    });
    try {
      await client.connect(endpointUrl);
      const identity: UserIdentityInfo = key
        ? { type: UserTokenType.UserName, userName: 'mes', password: key }
        : { type: UserTokenType.Anonymous };
      const session = await client.createSession(identity);
      const namespaces = await session.readNamespaceArray();
      return new JobControlClient(client, session, namespaces.indexOf(JOB_CONTROL_NAMESPACE));
    } catch (err) {
      await client.disconnect().catch(() => {});
      throw err;
    }
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

export const comment = (text: string) => ({
  dataType: DataType.LocalizedText,
  arrayType: VariantArrayType.Array,
  value: text ? [{ text }] : [],
});
export const jobId = (id: string) => ({ dataType: DataType.String, value: id });
