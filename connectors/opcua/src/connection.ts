// One connection to an OPC UA server as the settings describe it: the client (its certificate from the
// instance's store), a secure channel with the mode and policy asked for, and a session as the user,
// with a password or a certificate. node-opcua is loaded here, on first use, not when the hub starts.

import type { ConnectorContext } from '@plantgraph/connector-sdk';
import { openPki, type PkiFolder } from './pki.js';

export type NodeOpcua = typeof import('node-opcua');
export type Client = import('node-opcua').OPCUAClient;
export type Session = import('node-opcua').ClientSession;

let loading: Promise<NodeOpcua> | null = null;
/** node-opcua, imported once the first instance needs it. */
export function nodeOpcua(): Promise<NodeOpcua> {
  loading ??= import('node-opcua');
  return loading;
}

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
  'Basic256',
  'Basic128Rsa15',
] as const;

export interface EndpointSettings {
  endpointUrl: string;
  securityMode: (typeof SECURITY_MODES)[number];
  securityPolicy: (typeof SECURITY_POLICIES)[number];
  user?: string;
  password?: string;
  userCertificate?: string;
  userPrivateKey?: string;
  serverCertificate?: string;
  trustServerOnFirstUse: boolean;
  timeoutMs: number;
}

export function endpointSettings(s: ConnectorContext['settings']): EndpointSettings {
  return {
    endpointUrl: s.endpointUrl as string,
    securityMode: (s.securityMode as EndpointSettings['securityMode']) ?? 'None',
    securityPolicy: (s.securityPolicy as EndpointSettings['securityPolicy']) ?? 'None',
    user: s.user as string | undefined,
    password: s.password as string | undefined,
    userCertificate: s.userCertificate as string | undefined,
    userPrivateKey: s.userPrivateKey as string | undefined,
    serverCertificate: s.serverCertificate as string | undefined,
    trustServerOnFirstUse: (s.trustServerOnFirstUse as boolean | undefined) ?? false,
    timeoutMs: (s.timeoutMs as number | undefined) ?? 10_000,
  };
}

export interface Connection {
  opcua: NodeOpcua;
  client: Client;
  session: Session;
  close(): Promise<void>;
}

/**
 * Connects and opens a session; rejects with what went wrong (the host shows it). `retries`: how often
 * the first connection is tried again before giving up (node-opcua retries a lost one by itself).
 */
export async function connect(context: ConnectorContext, s: EndpointSettings, retries = 1): Promise<Connection> {
  const opcua = await nodeOpcua();
  const pki: PkiFolder = await openPki(context.store, s.serverCertificate);
  let client: Client | null = null;
  try {
    const certificateManager = new opcua.OPCUACertificateManager({
      rootFolder: pki.dir,
      automaticallyAcceptUnknownCertificate: s.trustServerOnFirstUse,
    });
    await certificateManager.initialize();
    client = opcua.OPCUAClient.create({
      applicationName: 'PlantGraph',
      applicationUri: `urn:plantgraph:connector:${context.name}`,
      clientName: `plantgraph-${context.name}`,
      clientCertificateManager: certificateManager,
      securityMode: opcua.MessageSecurityMode[s.securityMode],
      securityPolicy: opcua.SecurityPolicy[s.securityPolicy],
      endpointMustExist: false,
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      transportTimeout: s.timeoutMs,
      connectionStrategy: { initialDelay: 250, maxDelay: 5000, maxRetry: retries },
    });
    await client.connect(s.endpointUrl);
    const session = await client.createSession(await identity(opcua, s));
    await pki.save().catch((err: Error) => context.log.warn(`cannot keep the PKI in the store: ${err.message}`));
    const c = client;
    return {
      opcua,
      client: c,
      session,
      close: async () => {
        await session.close(true).catch(() => {});
        await c.disconnect().catch(() => {});
        await pki.dispose();
      },
    };
  } catch (err) {
    await client?.disconnect().catch(() => {});
    await pki.dispose();
    const message = (err as Error).message.split('\n')[0]!;
    const hint = HINTS.find(([pattern]) => pattern.test(message))?.[1];
    throw new Error(`${s.endpointUrl}: ${message}${hint ? ` — ${hint}` : ''}`);
  }
}

/** What to do about the failures an engineer meets first. */
const HINTS: [RegExp, string][] = [
  [
    /BadUserAccessDenied|BadIdentityToken/,
    'the server refused the user: check user and password (or the user certificate)',
  ],
  [/ANONYMOUS user token/, 'the server takes no anonymous logon: set user and password, or a user certificate'],
  [
    /BadCertificateUntrusted|BadSecurityChecksFailed/,
    "the server's certificate is not trusted: give it as serverCertificate, or set trustServerOnFirstUse",
  ],
  [
    /Fail to connect|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/,
    'cannot reach the server: check endpointUrl and that it runs',
  ],
];

async function identity(opcua: NodeOpcua, s: EndpointSettings) {
  if (s.userCertificate && s.userPrivateKey) {
    // The certificate's first PEM block, as DER; the key stays PEM (node-opcua signs with it).
    const block = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(s.userCertificate);
    if (!block) throw new Error('userCertificate is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
    const certificateData = Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64');
    return { type: opcua.UserTokenType.Certificate, certificateData, privateKey: s.userPrivateKey } as const;
  }
  if (s.user) return { type: opcua.UserTokenType.UserName, userName: s.user, password: s.password ?? '' } as const;
  return { type: opcua.UserTokenType.Anonymous } as const;
}
