// `npm run bench:scheduling`: 2,000 orders placed on 20 lines through `scheduleWorkOrders`, every
// constraint checked (overlap, shifts and breaks, downtime and maintenance orders, material by the
// start with planned receipts, rostered operators per shift, changeover time), in calls of
// BENCH_BATCH (500) orders; then the sequencer on a 50-order backlog against the order of arrival.
// Both modes unless BENCH_MODES names one.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { EquipmentLevel, LotSelection, MaterialLotStatus, MaterialUse } from '@plantgraph/schema';
import { isFailure, Principal } from '@plantgraph/hub';
import { activateFirstVersion } from '@plantgraph/demo';
import { startConnectorBenchHub } from './bench-hub.mjs';

const MODES = (process.env.BENCH_MODES ?? 'embedded,postgres+nats').split(',');
const LINES = 20;
const PER_LINE = 100;
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const TARGET_MS = 2000;
const ACTOR = Principal.system('bench');
const AREA = 'acme/berlin/bench';
const HOUR = 3_600_000;
// Monday 5 April 2027, 07:00 in Berlin: orders start at odd hours, so never in a break (they are at even hours).
const BASE = Date.UTC(2027, 3, 5, 5);
const PRODUCTS = [
  ['PD-BENCH-PLAIN-1', []],
  ['PD-BENCH-PLAIN-2', []],
  ['PD-BENCH-PEANUT-1', ['peanut']],
  ['PD-BENCH-PEANUT-2', ['peanut']],
];

const must = (r) => {
  if (isFailure(r)) throw new Error(`seeding failed: ${r.message}`);
  return r;
};

async function seed(hub) {
  const s = hub.services;
  must(
    await s.equipment.create(ACTOR, {
      parentPath: 'acme/berlin',
      code: 'bench',
      name: 'Bench area',
      level: EquipmentLevel.Area,
      properties: [],
    }),
  );
  for (let l = 1; l <= LINES + 1; l++) {
    const code = l > LINES ? 'line-seq' : `line-${String(l).padStart(2, '0')}`;
    must(
      await s.equipment.create(ACTOR, {
        parentPath: AREA,
        code,
        name: code,
        level: EquipmentLevel.ProductionLine,
        properties: [],
      }),
    );
  }
  must(
    await s.material.createDefinition(ACTOR, {
      code: 'BENCH-FILM',
      name: 'Wrapping film',
      materialClass: 'fastener',
      unitOfMeasure: 'kg',
      properties: [],
    }),
  );
  must(
    await s.material.createLot(ACTOR, {
      lotNumber: 'L-FILM-1',
      materialDefinition: 'BENCH-FILM',
      quantity: 10_000_000,
      status: MaterialLotStatus.Released,
      expiresAt: new Date(BASE + 365 * 24 * HOUR),
      properties: [],
    }),
  );
  for (let p = 1; p <= LINES + 2; p++) {
    const employeeId = `B${String(p).padStart(3, '0')}`;
    must(
      await s.personnel.createPerson(ACTOR, {
        employeeId,
        name: employeeId,
        personnelClasses: ['operator'],
        homeEquipment: 'acme/berlin',
      }),
    );
    must(
      await s.personnel.recordQualification(ACTOR, {
        employeeId,
        code: 'bench-pack',
        trainedAt: new Date(Date.now() - 24 * HOUR),
        expiresAt: new Date(BASE + 365 * 24 * HOUR),
      }),
    );
    // The demo's calendar has a roster: the bench crew works every shift, so the roster is read and counted.
    for (const shift of ['Early', 'Late', 'Night'])
      must(
        await s.schedulingResources.rosterShift(ACTOR, {
          scope: 'acme/berlin',
          shift,
          employeeId,
          validFrom: new Date(BASE - 7 * 24 * HOUR).toISOString().slice(0, 10),
        }),
      );
  }
  const db = hub.db;
  for (const [code, allergens] of PRODUCTS) {
    const material = code.replace('PD-', 'M-');
    must(
      await s.material.createDefinition(ACTOR, {
        code: material,
        name: code,
        materialClass: 'finished-good',
        unitOfMeasure: 'pcs',
        properties: [],
      }),
    );
    const definition = must(
      await s.productDefinition.create(ACTOR, {
        code,
        name: code,
        producedMaterial: material,
        changeNote: 'bench',
        segments: [
          {
            code: '10-pack',
            name: 'Pack',
            equipmentClass: 'packer',
            qualification: 'bench-pack',
            critical: false,
            materials: [
              {
                materialDefinition: 'BENCH-FILM',
                use: MaterialUse.Consumed,
                quantity: 0.01,
                unitOfMeasure: 'kg',
                lotSelection: LotSelection.FEFO,
              },
              {
                materialDefinition: material,
                use: MaterialUse.Produced,
                quantity: 1,
                unitOfMeasure: 'pcs',
                lotSelection: LotSelection.FIFO,
              },
            ],
            parameters: [],
          },
        ],
      }),
    );
    await activateFirstVersion(s, db, ACTOR, definition.id, must);
    must(
      await s.schedulingPlan.setProfile(ACTOR, {
        product: code,
        family: 'bench',
        allergens: [...allergens],
        setupMinutes: 15,
        crewSize: 1,
      }),
    );
  }
}

/** Imports Draft orders, 500 a call. */
async function importOrders(hub, orders) {
  for (let i = 0; i < orders.length; i += 500) {
    const answers = must(await hub.services.workOrder.importOrders(ACTOR, orders.slice(i, i + 500)));
    for (const a of answers) must(a);
  }
}

/** A CPU profile of the scheduling calls only (BENCH_PROFILE=<path prefix>), not of the seeding around them. */
async function startProfile() {
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    stop: async (file) => {
      const { profile } = await post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function benchMode(mode) {
  const { hub, gql, stop } = await startConnectorBenchHub(mode, null);
  try {
    await seed(hub);
    // 600 boxes: 15 min set-up + 600 × 3 s = 45 min, one every 2 h per line, products in turn.
    const orders = [];
    const inputs = [];
    for (let l = 1; l <= LINES; l++)
      for (let n = 0; n < PER_LINE; n++) {
        const number = `WO-B${l}-${n}`;
        const line = `${AREA}/line-${String(l).padStart(2, '0')}`;
        orders.push({
          number,
          externalReference: `bench:${number}`,
          productDefinition: PRODUCTS[n % 4][0],
          quantity: 600,
          equipment: line,
        });
        inputs.push({ number, start: new Date(BASE + n * 2 * HOUR).toISOString() });
      }
    await importOrders(hub, orders);
    const SCHEDULE = `mutation ($i: [ScheduleWorkOrderInput!]!) { r: scheduleWorkOrders(inputs: $i) {
      __typename ... on ErrorResult { message } ... on ScheduledOrders { entries { id } } } }`;
    const started = performance.now();
    // CPU of this process (the hub, and embedded PGlite in embedded mode): what carries over from a loaded machine.
    const cpuBefore = process.cpuUsage();
    const profiler = process.env.BENCH_PROFILE ? await startProfile() : null;
    let placed = 0;
    for (let i = 0; i < inputs.length; i += BATCH) {
      const { r } = await gql(SCHEDULE, { i: inputs.slice(i, i + BATCH) });
      if (r.__typename !== 'ScheduledOrders') throw new Error(`${r.__typename}: ${r.message.slice(0, 600)}`);
      placed += r.entries.length;
    }
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (profiler) await profiler.stop(`${process.env.BENCH_PROFILE}-${mode}.cpuprofile`);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `[${mode}] scheduled ${placed} orders on ${LINES} lines in ${Math.ceil(inputs.length / BATCH)} calls: ${Math.round(ms)} ms (target < ${TARGET_MS} ms) ${ms < TARGET_MS ? 'MET' : 'MISSED'}; hub process CPU ${Math.round(cpuMs)} ms (${Math.round((cpuMs * 1000) / placed)} ms per 1,000 orders)`,
    );

    // The sequencer: 50 orders of the four products (two with peanut), due over three days, arriving at random.
    let seedValue = 20;
    const random = () => {
      seedValue = (seedValue * 16807) % 2147483647;
      return seedValue / 2147483647;
    };
    const backlog = [];
    for (let n = 0; n < 50; n++)
      backlog.push({
        number: `WO-SEQ-${n}`,
        externalReference: `bench:WO-SEQ-${n}`,
        productDefinition: PRODUCTS[Math.floor(random() * 4)][0],
        quantity: 300 + Math.floor(random() * 4) * 100,
        equipment: `${AREA}/line-seq`,
        plannedStart: new Date(BASE).toISOString(),
        plannedEnd: new Date(BASE + (12 + Math.floor(random() * 60)) * HOUR).toISOString(),
      });
    await importOrders(hub, backlog);
    const SEQ = `mutation ($i: SequenceLineInput!) { r: sequenceLine(input: $i) { __typename ... on ErrorResult { message }
      ... on SequenceProposal { changeoverMinutes latenessMinutes arrivalChangeoverMinutes arrivalLatenessMinutes } } }`;
    const t0 = performance.now();
    const { r: p } = await gql(SEQ, { i: { line: `${AREA}/line-seq`, start: new Date(BASE).toISOString() } });
    const seqMs = performance.now() - t0;
    if (p.__typename !== 'SequenceProposal') throw new Error(`${p.__typename}: ${p.message}`);
    console.log(
      `[${mode}] sequencer, 50-order backlog: changeover ${p.changeoverMinutes} min, lateness ${p.latenessMinutes} min (total ${p.changeoverMinutes + p.latenessMinutes}) vs order of arrival: changeover ${p.arrivalChangeoverMinutes} min, lateness ${p.arrivalLatenessMinutes} min (total ${p.arrivalChangeoverMinutes + p.arrivalLatenessMinutes}); ${Math.round(seqMs)} ms`,
    );
  } finally {
    await stop();
  }
}

for (const mode of MODES) await benchMode(mode);
process.exit(0);
