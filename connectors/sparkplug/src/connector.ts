// The Sparkplug B connector as the hub's connector host runs it: one inbound stream, the primary
// host application's MQTT session, whose signals go to the hub through publishSignals as the
// instance's own principal. Only settings and mapping checks live at the top: the stream loads mqtt
// and protobufjs when it first opens.

import {
  ConnectorError,
  defineConnector,
  type ConnectorContext,
  type ConnectorRuntime,
  type SettingsIssue,
} from '@plantgraph/connector-sdk';
import { SignalBatcher } from './batcher.js';
import { SparkplugHost } from './host.js';
import { validateMapping, type SparkplugMapping } from './mapping.js';
import { HostSession, type SessionSettings } from './session.js';
import { SignalMapper } from './signals.js';

const SPARKPLUG_ID = { regex: /^[^/+#\s]{1,64}$/, means: 'up to 64 characters without "/", "+", "#" or spaces' };

export const sparkplugConnector = defineConnector({
  type: 'sparkplug',
  title: 'Sparkplug B (primary host application on MQTT; optional UMH topics)',
  settings: {
    brokerUrl: {
      type: 'string',
      required: true,
      description: 'The MQTT broker, e.g. mqtt://broker.plant.local:1883 or mqtts://…:8883',
      pattern: { regex: /^(mqtts?|wss?):\/\/[^\s/]+(\/\S*)?$/, means: 'an mqtt://, mqtts://, ws:// or wss:// URL' },
    },
    username: { type: 'string', description: 'MQTT user name' },
    password: { type: 'string', secret: true, description: 'MQTT password' },
    hostId: {
      type: 'string',
      required: true,
      description: 'The host application id: STATE is published on spBv1.0/STATE/<hostId>',
      pattern: SPARKPLUG_ID,
    },
    clientId: {
      type: 'string',
      description: 'MQTT client id (default: plantgraph-<hostId>)',
      pattern: { regex: /^\S{1,64}$/, means: '1-64 characters without spaces' },
    },
    umh: {
      type: 'boolean',
      default: false,
      description: 'Also read United Manufacturing Hub topics (umh/v1/…) for the locations in mapping.umh',
    },
    rebirthIntervalMs: {
      type: 'number',
      default: 5000,
      min: 500,
      max: 600_000,
      description: 'At most one rebirth request per edge node in this time, in ms',
    },
    giveUpAfterMs: {
      type: 'number',
      default: 120_000,
      min: 5000,
      max: 3_600_000,
      description: 'Without a broker connection this long, the stream counts as lost (reported, reopened), in ms',
    },
    connectTimeoutMs: { type: 'number', default: 10_000, min: 1000, max: 120_000, description: 'Per connect, in ms' },
    maxBatch: { type: 'number', default: 1000, min: 1, max: 1000, description: 'Signals per publishSignals call' },
    maxBuffered: {
      type: 'number',
      default: 100_000,
      min: 1000,
      max: 10_000_000,
      description: 'Signals kept while the hub does not take them (the oldest are dropped beyond)',
    },
    mapping: { type: 'json', required: true, description: 'The mapping document (see the package README)' },
  },
  validate(settings): SettingsIssue[] {
    const result = validateMapping(settings.mapping);
    const issues = result.ok ? [] : result.issues.map((i) => ({ field: `mapping.${i.path}`, message: i.message }));
    if (settings.umh === true && result.ok && !Object.keys(result.mapping.umh).length)
      issues.push({ field: 'mapping.umh', message: 'maps no UMH location, but umh is on: add one or turn umh off' });
    return issues;
  },
  create: (context) => sparkplugRuntime(context),
});

function sparkplugRuntime(context: ConnectorContext): ConnectorRuntime {
  const s = context.settings;
  const result = validateMapping(s.mapping);
  if (!result.ok) throw new Error(`The mapping is not valid: ${result.issues.map((i) => i.message).join('; ')}`);
  const mapping: SparkplugMapping = result.mapping;
  const hostId = s.hostId as string;
  const settings: SessionSettings = {
    brokerUrl: s.brokerUrl as string,
    username: s.username as string | undefined,
    password: s.password as string | undefined,
    hostId,
    clientId: (s.clientId as string | undefined) ?? `plantgraph-${hostId}`,
    umh: s.umh === true,
    giveUpAfterMs: s.giveUpAfterMs as number,
    connectTimeoutMs: s.connectTimeoutMs as number,
  };
  const log = {
    log: (m: string) => context.log.log(m),
    warn: (m: string) => context.log.warn(`[sparkplug ${context.name}] ${m}`),
  };
  // Kept for the runtime's life: a stream opened again goes on from the counters' last totals.
  const mapper = new SignalMapper(`spB:${context.name}`);
  const batcher = new SignalBatcher({
    hub: context.hub,
    log,
    maxBatch: s.maxBatch as number,
    maxBuffered: s.maxBuffered as number,
  });
  let session: HostSession | null = null;
  const host = new SparkplugHost({
    mapping,
    mapper,
    rebirthIntervalMs: s.rebirthIntervalMs as number,
    command: (topic, payload) => session?.publishCommand(topic, payload),
  });

  return {
    testConnection: async () => {
      if (!session) return checkBroker(settings);
      const status = session.status;
      if (!status.connected) {
        const since = `since ${iso(status.disconnectedSince)} (${status.lastConnectError ?? 'reconnecting'})`;
        const message = `not connected to ${settings.brokerUrl} ${since}; last message ${iso(host.stats.lastMessageAt)}`;
        throw new ConnectorError({ kind: 'retryable', message });
      }
      return { roundTripMs: await session.ping(), detail: describe(settings, host, mapper, batcher) };
    },
    streams: {
      sparkplug: {
        description: `primary host ${hostId} on ${settings.brokerUrl}`,
        open: async (lost) => {
          host.forgetNodes(); // what happened while closed is learnt from births
          const opened = new HostSession(settings, mapping, host, mapper, batcher, log);
          session = opened;
          try {
            await opened.open(lost);
          } catch (err) {
            session = null;
            throw err;
          }
          return {
            close: async () => {
              if (session === opened) session = null;
              await opened.close();
            },
          };
        },
      },
    },
    close: () => batcher.close(5000),
  };
}

/** The health detail: connection, traffic, what went wrong last. */
function describe(settings: SessionSettings, host: SparkplugHost, mapper: SignalMapper, batcher: SignalBatcher) {
  const h = host.stats;
  const b = batcher.stats;
  const problem = b.lastError ?? h.lastProblem ?? mapper.stats.lastProblem;
  return [
    `connected to ${settings.brokerUrl} as primary host ${settings.hostId}`,
    `last message ${iso(h.lastMessageAt)}`,
    `${h.nodesOnline} edge node(s) online`,
    `${h.messages} messages, ${b.published} signals published in ${b.calls} calls ` +
      `(${b.refused} refused, ${b.dropped} dropped, ${batcher.buffered} waiting)`,
    `${h.rebirthRequests} rebirth requests, ${h.sequenceGaps} sequence gaps, ${h.unknownAliases} unknown aliases, ` +
      `${mapper.stats.unmappedStates} unmapped states`,
    ...(problem ? [`last problem: ${problem}`] : []),
  ].join('; ');
}

/** Not the holder of the stream (another replica runs it): a real connect and disconnect. */
async function checkBroker(settings: SessionSettings) {
  const { connectAsync } = await import('mqtt');
  const started = performance.now();
  try {
    const client = await connectAsync(settings.brokerUrl, {
      clientId: `${settings.clientId}-check-${Math.random().toString(36).slice(2, 8)}`,
      username: settings.username,
      password: settings.password,
      connectTimeout: settings.connectTimeoutMs,
      reconnectPeriod: 0,
    });
    await client.endAsync();
  } catch (err) {
    throw new ConnectorError({
      kind: 'retryable',
      message: `cannot connect to ${settings.brokerUrl}: ${(err as Error).message}`,
    });
  }
  return {
    roundTripMs: Math.round(performance.now() - started),
    detail: `broker reachable; the host session runs on the replica holding the connectors' lease`,
  };
}

const iso = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());
