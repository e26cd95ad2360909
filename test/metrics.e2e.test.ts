import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { graphqlRaw, MODES, startTestHub, type TestHub } from './support/harness.js';
import { until } from './support/queue.js';
import { freePort } from './support/private-service.js';

const run = promisify(execFile);
const DASHBOARD = resolve(dirname(fileURLToPath(import.meta.url)), '../deploy/grafana/plantgraph-hub.json');
const PRESS = 'acme/berlin/assembly/line-1/press-1';
const has = (command: string) =>
  run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );

/** One sample's value from Prometheus' text format, by metric name and labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)/.exec(line);
    const found = Object.fromEntries([...(match?.[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match![2]);
  }
  return null;
}

describe.each(MODES)('/metrics (%s)', (mode) => {
  let hub: TestHub;
  afterAll(() => hub?.stop());

  it('counts operations, errors, signals and connections, in a format promtool accepts', async () => {
    hub = await startTestHub(mode, { demo: true });
    const token = hub.localAdminToken!;
    for (let i = 0; i < 3; i++) {
      const ok = await graphqlRaw(
        hub.url,
        { query: `query PressState { equipment(path: "${PRESS}") { state } }` },
        token,
      );
      expect(ok.status).toBe(200);
    }
    const refused = await graphqlRaw(hub.url, { query: 'query NoKey { equipment(path: "acme") { path } }' });
    expect(refused.status).toBe(401);
    const bad = await graphqlRaw(hub.url, { query: 'query BadField { equipment(path: "acme") { nope } }' }, token);
    const signals = Array.from({ length: 5 }, (_, i) => ({
      path: PRESS,
      kind: 'Count',
      good: 1,
      source: 'metrics-test',
      sequence: i,
    }));
    const published = await graphqlRaw(
      hub.url,
      {
        query: 'mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) { __typename } }',
        variables: { s: signals },
      },
      token,
    );
    expect(published.body).toEqual({ data: { publishSignals: { __typename: 'SignalsPublished' } } });

    let text = '';
    await until(async () => {
      text = await (await fetch(`${hub.url}/metrics`)).text();
      // The acknowledgements are settled by JetStream after the hub sends them: the backlog reaches 0
      // a moment after the signals are counted as stored, not at the same scrape.
      const stored = sample(text, 'plantgraph_ingest_signals_total', { outcome: 'stored' }) ?? 0;
      return stored >= 5 && sample(text, 'plantgraph_ingest_backlog_signals') === 0;
    }, 'the five signals counted as stored and none left on the bus');
    const response = await fetch(`${hub.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);

    expect(
      sample(text, 'plantgraph_graphql_operation_duration_seconds_count', { operation: 'PressState', type: 'query' }),
    ).toBe(3);
    expect(sample(text, 'plantgraph_http_request_duration_seconds_count', { route: '/graphql', status: '401' })).toBe(
      1,
    );
    expect(bad.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const refusals = { operation: 'BadField', code: 'GRAPHQL_VALIDATION_FAILED' };
    expect(sample(text, 'plantgraph_graphql_errors_total', refusals)).toBe(1);
    expect(sample(text, 'plantgraph_ingest_backlog_signals')).toBe(0);
    expect(sample(text, 'plantgraph_websocket_sockets')).toBe(0);
    expect(sample(text, 'plantgraph_process_resident_memory_bytes')).toBeGreaterThan(0);
    if (mode === 'postgres+nats')
      expect(sample(text, 'plantgraph_database_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    else expect(sample(text, 'plantgraph_database_pool_connections', { state: 'total' })).toBeNull();

    if (await has('promtool')) {
      const dir = mkdtempSync(join(tmpdir(), 'plantgraph-metrics-'));
      writeFileSync(join(dir, 'metrics.txt'), text);
      // promtool's linter: names, types, help texts and units as Prometheus expects them.
      const lint = await run('sh', ['-c', `promtool check metrics < ${join(dir, 'metrics.txt')}`]).catch(
        (err: { stdout: string; stderr: string }) => err,
      );
      rmSync(dir, { recursive: true, force: true });
      // prom-client's own default gauges of active handles end in _total; every metric of the hub's passes.
      const problems = `${lint.stdout}${lint.stderr}`
        .split('\n')
        .filter((l) => l.trim() && !/^plantgraph_nodejs_active_(handles|requests|resources)_total /.test(l));
      expect(problems).toEqual([]);
    } else console.warn('[metrics] promtool not installed (Debian package prometheus): format not linted');
  });
});

describe('/metrics scraped by a real Prometheus', () => {
  let hub: TestHub;
  let prometheus: ChildProcess | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-prometheus-'));
  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the token when one is set, and Prometheus reads the hub with it', async (t) => {
    if (!(await has('prometheus'))) return t.skip('prometheus is not installed (Debian package prometheus)');
    hub = await startTestHub('embedded', { metricsToken: 'scrape-secret' });
    expect((await fetch(`${hub.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${hub.url}/metrics`, { headers: { authorization: 'Bearer wrong-secret!' } })).status).toBe(
      401,
    );
    const port = await freePort();
    const target = new URL(hub.url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        '  - job_name: plantgraph',
        '    authorization: { credentials: scrape-secret }',
        `    static_configs: [{ targets: ['${target}'] }]`,
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const query = async (q: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => null);
      if (!r?.ok) return [];
      return ((await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } })
        .data.result;
    };
    let up: { value: [number, string] }[] = [];
    const scraped = async () => {
      up = await query('up{job="plantgraph"}');
      return up.length > 0;
    };
    await until(scraped, 'Prometheus to scrape the hub', 30_000);
    expect(up[0]!.value[1]).toBe('1');
    await until(
      async () => (await query('plantgraph_process_resident_memory_bytes')).length > 0,
      "the hub's series in Prometheus",
      30_000,
    );

    // The Grafana dashboard in deploy/ asks only for metrics the hub has, in PromQL Prometheus accepts.
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const expressions = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const exposed = await (
      await fetch(`${hub.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })
    ).text();
    const names = new Set(expressions.flatMap((e) => e.match(/plantgraph_\w+/g) ?? []));
    const missing = [...names].filter((n) => !exposed.includes(`# HELP ${n.replace(/_(bucket|count|sum)$/, '')} `));
    expect(missing).toEqual([]);
    for (const expr of expressions) {
      const q = expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*').replaceAll('$instance', '.*');
      const answer = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      expect([expr, answer.status]).toEqual([expr, 200]);
    }
  });
});
