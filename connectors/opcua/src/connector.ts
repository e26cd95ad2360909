// The OPC UA client connector as the hub's connector host runs it: one endpoint per instance, its
// mapped nodes monitored on a subscription (the `machine` stream, open on the lease holder), each
// change sent as an equipment signal through the hub's GraphQL API, buffered while the hub cannot
// take it. `browse` lists the server's nodes for the engineer who maps them.

import {
  defineConnector,
  type ConnectorContext,
  type InboundStream,
  type SettingsIssue,
  type StreamHealth,
} from '@plantgraph/connector-sdk';
import { browseChildren } from './browse.js';
import { connect, endpointSettings, SECURITY_MODES, SECURITY_POLICIES } from './connection.js';
import { Forwarder, MAX_BATCH } from './forwarder.js';
import { mappedItems, type OpcUaMapping, validateMapping } from './mapping.js';
import { MachineStream } from './stream.js';

export const opcUaConnector = defineConnector({
  type: 'opcua',
  title: 'OPC UA (machine signals from monitored items)',
  settings: {
    endpointUrl: {
      type: 'string',
      required: true,
      description: 'The server endpoint, e.g. opc.tcp://press-1.plant.local:4840',
      pattern: { regex: /^opc\.tcp:\/\/[^\s/]+(\/.*)?$/, means: 'an opc.tcp:// URL' },
    },
    securityMode: {
      type: 'string',
      default: 'None',
      description: `Message security: ${SECURITY_MODES.join(', ')}`,
      pattern: { regex: new RegExp(`^(${SECURITY_MODES.join('|')})$`), means: `one of ${SECURITY_MODES.join(', ')}` },
    },
    securityPolicy: {
      type: 'string',
      default: 'None',
      description: `Security policy: ${SECURITY_POLICIES.join(', ')}`,
      pattern: {
        regex: new RegExp(`^(${SECURITY_POLICIES.join('|')})$`),
        means: `one of ${SECURITY_POLICIES.join(', ')}`,
      },
    },
    user: { type: 'string', description: 'User name (absent: anonymous, or the user certificate)' },
    password: { type: 'string', secret: true, description: 'Password of the user' },
    userCertificate: { type: 'string', description: 'PEM certificate to log on with instead of a user name' },
    userPrivateKey: { type: 'string', secret: true, description: 'PEM private key of the user certificate' },
    serverCertificate: {
      type: 'string',
      description: "The server's PEM certificate to trust (for Sign or SignAndEncrypt)",
    },
    trustServerOnFirstUse: {
      type: 'boolean',
      default: false,
      description: "Trust an unknown server certificate on first contact (kept in the hub's database after)",
    },
    timeoutMs: { type: 'number', default: 10_000, min: 1000, max: 120_000, description: 'Per request, in ms' },
    publishingIntervalMs: {
      type: 'number',
      default: 250,
      min: 20,
      max: 60_000,
      description: 'How often the server sends the changes of the subscription, in ms',
    },
    samplingIntervalMs: {
      type: 'number',
      default: 100,
      min: 0,
      max: 3_600_000,
      description: 'How often the server samples each node unless the mapping says otherwise, in ms',
    },
    queueSize: {
      type: 'number',
      default: 1000,
      min: 1,
      max: 100_000,
      description: 'Changes a monitored item queues on the server between two publishes',
    },
    bufferLimit: {
      type: 'number',
      default: 200_000,
      min: 1000,
      max: 5_000_000,
      description: 'Values kept while the hub cannot take them (store and forward); beyond, the oldest go',
    },
    batchSize: {
      type: 'number',
      default: MAX_BATCH,
      min: 1,
      max: MAX_BATCH,
      description: 'Signals per publishSignals call',
    },
    mapping: { type: 'json', required: true, description: 'Node ids to signals per equipment path (see the README)' },
  },
  validate(settings): SettingsIssue[] {
    const issues = validateMapping(settings.mapping).map((i) => ({
      field: `mapping.${i.path}`.replace(/\.$/, ''),
      message: i.message,
    }));
    const mode = settings.securityMode as string;
    const policy = settings.securityPolicy as string;
    if ((mode === 'None') !== (policy === 'None'))
      issues.push({
        field: 'securityPolicy',
        message: `${policy} does not go with securityMode ${mode}: None goes with None`,
      });
    if (settings.userCertificate && !settings.userPrivateKey)
      issues.push({ field: 'userPrivateKey', message: 'is required with userCertificate' });
    if (settings.userCertificate && settings.user)
      issues.push({ field: 'user', message: 'give a user name or a user certificate, not both' });
    return issues;
  },
  create(context: ConnectorContext) {
    const s = context.settings;
    const endpoint = endpointSettings(s);
    const items = mappedItems(s.mapping as OpcUaMapping, s.samplingIntervalMs as number);
    let current: MachineStream | null = null;
    const forwarder = new Forwarder({
      hub: context.hub,
      log: context.log,
      limit: s.bufferLimit as number,
      batch: s.batchSize as number,
      onSent: (signals) => current?.committed(signals),
    });
    return {
      testConnection: async () => {
        const started = performance.now();
        const conn = await connect(context, endpoint, 0);
        try {
          const [time] = await conn.session.read([
            { nodeId: 'ns=0;i=2258', attributeId: conn.opcua.AttributeIds.Value },
          ]);
          return {
            roundTripMs: Math.round(performance.now() - started),
            detail: `server time ${time?.value.value?.toISOString?.() ?? '?'}`,
          };
        } finally {
          await conn.close();
        }
      },
      browse: async (nodeId?: string) => {
        const conn = await connect(context, endpoint, 0);
        try {
          return await browseChildren(conn.opcua, conn.session, nodeId);
        } finally {
          await conn.close();
        }
      },
      streams: (items.length
        ? {
            machine: {
              description: `${items.length} monitored items on ${endpoint.endpointUrl}`,
              open: async (lost) => {
                const stream = new MachineStream({
                  context,
                  endpoint,
                  items,
                  forwarder,
                  publishingIntervalMs: s.publishingIntervalMs as number,
                  queueSize: s.queueSize as number,
                });
                current = stream;
                return stream.open(lost);
              },
            },
          }
        : {}) as Record<string, InboundStream>,
      streamHealth: (): StreamHealth[] =>
        current ? [{ ...current.health, buffered: forwarder.buffered, dropped: forwarder.dropped }] : [],
      close: async () => {
        await forwarder.drain(2000);
        await forwarder.close();
      },
    };
  },
});
