import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingFromEnv } from '@plantgraph/hub/dist/observability/tracing.js';
import { graphqlRaw, startTestHub, type TestHub } from './support/harness.js';
import { until } from './support/queue.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';
type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number };
type OtlpRequest = {
  resourceSpans: { resource: { attributes: { key: string }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
};

/**
 * Traces to an OpenTelemetry collector: a receiver of OTLP/HTTP (JSON, as the exporter sends it)
 * stands in for the collector. The hub sends one server span per request, named after its GraphQL
 * operation, with its database statements and NATS publishes as children.
 */
describe('traces over OTLP/HTTP', () => {
  let receiver: Server;
  let endpoint: string;
  const spans: OtlpSpan[] = [];
  const services: string[] = [];
  let hub: TestHub;
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
          for (const r of (JSON.parse(body) as OtlpRequest).resourceSpans) {
            services.push(JSON.stringify(r.resource.attributes));
            for (const s of r.scopeSpans) spans.push(...s.spans);
          }
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await hub?.stop();
    receiver?.close();
  });

  it('is off unless an exporter is set, and says what is wrong with a bad endpoint', () => {
    expect(tracingFromEnv({})).toBeNull();
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })?.endpoint).toBe('http://c:4318/v1/traces');
    expect(() => tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('sends a span per operation with its statements and publishes as children', async () => {
    const tracing = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' });
    hub = await startTestHub('postgres+nats', { demo: true, tracing });
    const token = hub.localAdminToken!;
    const read = await graphqlRaw(
      hub.url,
      { query: `query PressState { equipment(path: "${PRESS}") { state } }` },
      token,
    );
    expect(read.body.errors).toBeUndefined();
    const signal = { path: PRESS, kind: 'State', state: 'Down', reason: 'jam', source: 'tracing-test', sequence: 1 };
    const published = await graphqlRaw(
      hub.url,
      {
        query: 'mutation Jam($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) { __typename } }',
        variables: { s: [signal] },
      },
      token,
    );
    expect(published.body.data.publishSignals.__typename).toBe('SignalsPublished');

    const named = (name: string) => spans.find((s) => s.name === name);
    await until(() => !!named('query PressState') && !!named('mutation Jam'), 'the operations’ spans', 20_000);
    const query = named('query PressState')!;
    const mutation = named('mutation Jam')!;
    const childrenOf = (parent: OtlpSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
    await until(() => childrenOf(query).some((s) => s.name === 'select'), 'the query’s select statements', 20_000);
    await until(
      () => childrenOf(mutation).some((s) => s.name === 'nats publishSignal'),
      'the signal’s publish under the mutation',
      20_000,
    );
    expect(childrenOf(query).every((s) => s.traceId === query.traceId)).toBe(true);
    expect(query.kind).toBe(2); // SERVER
    expect(services.some((s) => s.includes('plantgraph-hub'))).toBe(true);
  });
});
