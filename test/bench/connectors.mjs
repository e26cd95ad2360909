// `npm run bench:connectors`: the SAP loop's throughput on this machine, embedded and on PostgreSQL + NATS.
// The SAP simulator (in a child process of its own, see sap-simulator-process.mjs) serves N production
// orders of 10 operations; a hub (in this process, as the tests run it) imports them through the SAP
// connector's poll, imports them again after SAP touched every one (all must come back Unchanged), then
// confirms M orders executed on the floor while the connector was off. BENCH_PROFILE=<dir> writes a CPU
// profile of this process per phase; BENCH_SIMULATOR=inline runs the simulator in this process instead.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchBacking } from './bench-backing.mjs';
import { configFromEnv, isFailure, Principal, startHub } from '@plantgraph/hub';
import { demoConfigFromEnv, demoExtension } from '@plantgraph/demo';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { SapSimulator } from '@plantgraph/sap-s4hana-simulator';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000);
const CONFIRMATIONS = Number(process.env.BENCH_CONFIRMATIONS ?? 100);
const PAGE = Number(process.env.BENCH_PAGE ?? 500);
const MODES = (process.env.BENCH_MODES || 'postgres+nats,embedded').split(',');
const PROFILE = process.env.BENCH_PROFILE;
/** Confirmations sent at once (the SAP connector's `concurrency`); unset: the connector's default. */
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
const INLINE_SIMULATOR = process.env.BENCH_SIMULATOR === 'inline';
const LINE = 'acme/berlin/assembly/line-1';
const SYSTEM = Principal.system('bench');
const ANA = new Principal('E1001', 'user', [{ role: 'operator', scope: 'acme/berlin' }]);
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const must = (v) => {
  if (isFailure(v)) throw new Error(v.message);
  return v;
};
const MAPPING = {
  version: 1,
  plants: [
    {
      plant: '1710',
      site: 'acme/berlin',
      timeZone: 'Europe/Berlin',
      workCenters: { ASSEMBLY: LINE },
      defaultStorageLocation: '171A',
    },
  ],
  units: { ST: 'pcs', KG: 'kg' },
  materials: { 'RM-001': 'TUBE-STEEL' },
  products: { 'FG-FRAME': 'PD-SAP-FRAME' },
  personnel: { E1001: '00001001' },
};
const SEED = {
  operations: 10,
  workCenters: ['ASSEMBLY'],
  material: 'FG-FRAME',
  quantity: 10,
  firstOrder: 5000000,
  components: 1,
  componentBatches: ['T0001'],
};

/** The simulator in its own process, driven over IPC; the same calls as an in-process `SapSimulator`. */
async function startSimulator(options) {
  if (INLINE_SIMULATOR) {
    const sim = await SapSimulator.start(options);
    return {
      url: sim.url,
      seedOrders: async (...args) => sim.seedOrders(...args).length,
      addMaterial: async (spec) => sim.addMaterial(spec),
      liveConfirmations: async () => sim.liveConfirmations(),
      close: () => sim.close(),
    };
  }
  const child = fork(new URL('./sap-simulator-process.mjs', import.meta.url), {
    env: { ...process.env, SAP_SIMULATOR_OPTIONS: JSON.stringify(options) },
    execArgv: [],
  });
  const pending = new Map();
  let next = 0;
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulator process exited (${code})`)));
    child.on('message', (m) => {
      if (m.ready) return resolve(m.ready);
      const call = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) call?.reject(new Error(m.error));
      else call?.resolve(m.result);
    });
  });
  const call = (name, ...args) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ id, call: name, args });
    });
  return {
    url,
    seedOrders: (...args) => call('seedOrders', ...args),
    addMaterial: (spec) => call('addMaterial', spec),
    liveConfirmations: () => call('liveConfirmations'),
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('close').catch(() => {});
      await exited;
    },
  };
}

/** A CPU profile of this process while `body` runs, written to BENCH_PROFILE/<name>.cpuprofile. */
async function profiled(name, body) {
  if (!PROFILE) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE, { recursive: true });
    writeFileSync(`${PROFILE}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

async function startBenchHub(mode) {
  const { shared, drop } = await benchBacking(mode);
  const config = configFromEnv(
    {
      PLANTGRAPH_FLOWS: 'off',
      PLANTGRAPH_LOG_SQL: process.env.PLANTGRAPH_LOG_SQL ?? '0',
      PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
      PLANTGRAPH_RATE_LIMIT_BURST: '100000',
    },
    { port: 0, dataDir: 'memory://', demo: true, ...shared },
  );
  config.connectors = { ...config.connectors, relayIntervalMs: 100, healthIntervalMs: 600_000 };
  const demo = demoExtension(demoConfigFromEnv({}, { simulatorIntervalMs: 0, erpPollIntervalMs: 0 }));
  const hub = await startHub(
    config,
    { log: () => {}, warn: console.warn, error: console.error },
    {
      extensions: [demo],
      connectors: [sapS4HanaConnector],
    },
  );
  const post = (query, variables) =>
    fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.localAdminToken}` },
      body: JSON.stringify({ query, variables }),
    });
  const gql = async (query, variables) => {
    // A kept-alive connection the hub closed while the bench was busy elsewhere (ECONNRESET): once more.
    const res = await post(query, variables).catch((err) => {
      if (err?.cause?.code !== 'ECONNRESET') throw err;
      return post(query, variables);
    });
    const body = await res.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const stop = async () => {
    await hub.close();
    await drop();
  };
  return { hub, gql, stop };
}

/** What the SAP orders are made by: a one-step product consuming a steel tube, and tube enough for them. */
async function seedProduct(hub) {
  const s = hub.services;
  must(await s.materialClass.create(SYSTEM, { code: 'tube', description: 'Tubes', properties: [] }));
  must(
    await s.material.createDefinition(SYSTEM, {
      code: 'TUBE-STEEL',
      name: 'Steel tube',
      materialClass: 'tube',
      unitOfMeasure: 'kg',
      properties: [],
    }),
  );
  must(
    await s.material.createLot(SYSTEM, {
      lotNumber: 'T0001',
      materialDefinition: 'TUBE-STEEL',
      quantity: 1_000_000,
      status: 'Released',
      location: 'acme/berlin',
      properties: [],
    }),
  );
  const material = { materialDefinition: 'TUBE-STEEL', use: 'Consumed', quantity: 0.5, unitOfMeasure: 'kg' };
  const definition = must(
    await s.productDefinition.create(SYSTEM, {
      code: 'PD-SAP-FRAME',
      name: 'Frame (from SAP)',
      producedMaterial: 'BRACKET-A',
      changeNote: 'for the bench',
      segments: [
        {
          code: '10-assemble',
          name: 'Assemble',
          workInstruction: 'WI-1',
          equipmentClass: null,
          qualification: null,
          critical: false,
          durationMinutes: 1,
          materials: [{ ...material, lotSelection: 'FEFO' }],
          parameters: [],
        },
      ],
    }),
  );
  const [version] = await hub.db.em
    .fork()
    .execute('select id from product_definition_version where product_definition_id = ?', [definition.id]);
  for (const state of ['ForReview', 'Approved', 'Active'])
    must(await s.productDefinition.transitionVersion(SYSTEM, { id: version.id, state }));
}

const configure = async (gql, sim, enabled) => {
  const { configureConnector: answer } = await gql(
    `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) {
      __typename ... on ErrorResult { message } } }`,
    {
      i: {
        name: 'sap-bench',
        type: 'sap-s4hana',
        scope: 'acme/berlin',
        settings: {
          baseUrl: sim.url,
          pollIntervalMs: 0,
          pageSize: PAGE,
          timeoutMs: 300_000,
          mapping: MAPPING,
          ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}),
        },
        grants: [{ role: 'Integrator', scope: 'acme/berlin' }],
        enabled,
      },
    },
  );
  if (answer.message) throw new Error(`configureConnector: ${answer.message}`);
};

const count = async (hub, sql, params = []) => Number((await hub.db.em.fork().execute(sql, params))[0].n);

async function waitFor(what, check, limitMs = Number(process.env.BENCH_WAIT_MS ?? 900_000)) {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    if (process.env.BENCH_DEBUG) log(`waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return (performance.now() - t0) / 1000;
}

/** Imports of `outcome`, timed from the poll's request to the last outcome recorded in the ledger. */
async function timedImport(hub, gql, outcome) {
  const polled = await gql(
    'mutation { pollConnector(name: "sap-bench") { __typename ... on ErrorResult { message } } }',
  );
  if (polled.pollConnector.message) throw new Error(`pollConnector: ${polled.pollConnector.message}`);
  await waitFor(`${ORDERS} ${outcome}`, async () => {
    const n = await count(hub, 'select count(*) as n from connector_import where outcome = ?', [outcome]);
    return n >= ORDERS;
  });
}

/**
 * Wall time of `body` and the CPU time this process (the hub, and the connector in it) used meanwhile:
 * on a machine shared with other work, the CPU time varies less than the wall time.
 */
async function timed(name, body) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await profiled(name, body);
  const cpu = process.cpuUsage(cpu0);
  return { s: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** Releases, executes and completes a Draft as the plant would. */
async function runOnTheFloor(hub, number) {
  const s = hub.services;
  const assignments = [{ segment: '10-assemble', equipment: LINE, operators: ['E1001'] }];
  must(await s.workOrderLifecycle.release(SYSTEM, { number, assignments, lots: [] }));
  must(await s.workOrderLifecycle.start(ANA, { number }));
  // Line clearance is signed by a qualified person: Chen, signed in at the hub's development identity provider.
  const { tokenEndpoint, password } = hub.devIdentityProvider;
  const signIn = await fetch(tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'E1003', password }),
  });
  const { access_token: token } = await signIn.json();
  must(await s.execution.confirmLineClearance(ANA, number, { token, meaning: 'Responsibility' }));
  must(await s.execution.startStep(ANA, number));
  must(await s.execution.consumeMaterial(ANA, number, 'T0001', 5));
  must(await s.execution.completeStep(ANA, number, null));
  must(await s.execution.complete(ANA, number, `LOT-${number}`, 10));
}

async function benchMode(mode) {
  const sim = await startSimulator({ maxPageSize: Math.max(PAGE, 1000) });
  const { hub, gql, stop } = await startBenchHub(mode);
  try {
    await seedProduct(hub);
    await sim.seedOrders(ORDERS, SEED);
    await configure(gql, sim, true);
    log(`${mode}: importing ${ORDERS} orders of ${SEED.operations} operations, pages of ${PAGE}`);
    const first = await timed(`${mode}-first-import`, () => timedImport(hub, gql, 'Created'));
    const drafts = await count(
      hub,
      "select count(*) as n from work_order where external_reference like 'sap-s4hana:%'",
    );
    await sim.seedOrders(ORDERS, SEED); // SAP changes every order's change date, nothing else
    log(`${mode}: re-importing`);
    const again = await timed(`${mode}-re-import`, () => timedImport(hub, gql, 'Unchanged'));
    const changed = await count(hub, "select count(*) as n from connector_import where outcome <> 'Unchanged'");

    // Confirmations: orders completed while the connector is off, then delivered as a backlog.
    const confirmations = Math.min(CONFIRMATIONS, ORDERS);
    await configure(gql, sim, false);
    // The tube is consumed in kg; SAP's seeded component counts pieces.
    await sim.addMaterial({ material: 'RM-001', plant: '1710', baseUnit: 'KG', batches: ['T0001'] });
    log(`${mode}: executing ${confirmations} orders on the floor (connector off)`);
    const numbers = (
      await hub.db.em
        .fork()
        .execute("select number from work_order where external_reference like 'sap-s4hana:%' order by number limit ?", [
          confirmations,
        ])
    ).map((r) => r.number);
    for (const n of numbers) await runOnTheFloor(hub, n);
    const heapBefore = process.memoryUsage();
    await configure(gql, sim, true);
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    const delivered = await timed(`${mode}-confirmations`, () =>
      waitFor(`${confirmations} confirmations`, async () => {
        const n = await count(hub, "select count(*) as n from connector_delivery where state = 'Delivered'");
        return n >= confirmations;
      }),
    );
    clearInterval(sampler);
    const posted = (await sim.liveConfirmations()).length;
    return {
      mode,
      first,
      again,
      drafts,
      changed,
      confirmations,
      delivered,
      posted,
      rssBefore: heapBefore.rss,
      peakRss,
    };
  } catch (err) {
    const outcomes = await hub.db.em
      .fork()
      .execute('select outcome, reasons, count(*) as n from connector_import group by 1, 2 limit 5');
    const [instance] = await hub.db.em.fork().execute('select last_error from connector_instance');
    log(`${mode}: ${JSON.stringify(outcomes)}; last error: ${instance?.last_error}`);
    throw err;
  } finally {
    await stop();
    await sim.close();
  }
}

const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MB`;
const results = [];
for (const mode of MODES) results.push(await benchMode(mode));
console.log(
  `\n${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${ORDERS} orders of ${SEED.operations} operations, pages of ${PAGE}\n`,
);
console.log('| backing | measure | result | target |\n|---|---|---:|---:|');
for (const r of results) {
  const rate = (n, t) => `${(n / t.s).toFixed(0)}/s (${n} in ${t.s.toFixed(1)} s; hub CPU ${t.cpu.toFixed(1)} s)`;
  console.log(`| ${r.mode} | first import (Drafts created) | ${rate(r.drafts, r.first)} | 500 orders/s |`);
  console.log(
    `| ${r.mode} | re-import (all Unchanged; ${r.changed} not) | ${rate(ORDERS, r.again)} | 500 orders/s, 0 changed |`,
  );
  console.log(
    `| ${r.mode} | confirmations delivered (backlog; ${r.posted} in SAP) | ${rate(r.confirmations, r.delivered)} | — |`,
  );
  console.log(
    `| ${r.mode} | process RSS: before the backlog / peak while delivering | ` +
      `${mb(r.rssBefore)} / ${mb(r.peakRss)} | — |`,
  );
}
process.exit(0);
