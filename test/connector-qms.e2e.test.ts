import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qmsRestConnector } from '@plantgraph/connector-qms-rest';
import { QmsSimulator } from '@plantgraph/qms-rest-simulator';
import { eventually } from './support/flows.js';
import { MODES, type TestHub } from './support/harness.js';
import type { TestIdentityProvider } from './support/idp.js';
import {
  actAs,
  demoPeople,
  draftOrder,
  executeToReview,
  LINE_1_ASSIGNMENTS,
  R,
  RELEASE,
  signatureOf,
  startDemoWithPeople,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const POLL_MS = 500;
const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) { r: configureConnector(input: $i) { ${R}
  ... on ConnectorInstance { name enabled secretNames } ... on InvalidInput { field } } }`;
const DEVIATIONS = `query ($n: String!) { workOrder(number: $n) { deviations { id kind segment qmsReference qmsStatus
  qmsClosedAt qmsClosure qmsUpdatedBy capaReference capaLinkedBy capaClosedAt capaClosure } } }`;

/**
 * The QMS loop (issue 18) through GraphQL against the QMS simulator: a deviation becomes exactly one
 * nonconformance record across 429, 5xx, a lost answer and a replay; its status, closure and CAPA come back
 * onto the deviation; lot holds and releases from the QMS go through the hub's own lot disposition, and
 * one the hub refuses is a Rejected import carrying the hub's message.
 */
describe.each(MODES)('the QMS connector (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let sim: QmsSimulator;
  let people: ReturnType<typeof demoPeople>;
  let as: ReturnType<typeof actAs>;
  const admin = (query: string, variables?: Record<string, unknown>) => as.run('admin', query, variables);
  const deliveries = async () =>
    (
      await admin(`{ connectorDeliveries(connector: "qms", first: 50) { edges { node {
        id idempotencyKey state eventType eventKey externalReference reconciled attempts replays lastError } } } }`)
    ).connectorDeliveries.edges.map((e: { node: Record<string, unknown> }) => e.node);
  const imports = async () =>
    (
      await admin(`{ connectorImports(connector: "qms", first: 50) { edges { node {
        reference outcome hubReference reasons { code field value message } } } } }`)
    ).connectorImports.edges.map((e: { node: Record<string, unknown> }) => e.node);
  const deviationsOf = async (number: string) => (await admin(DEVIATIONS, { n: number })).workOrder.deviations;
  const lot = async (lotNumber: string) =>
    (await admin(`query ($n: String!) { materialLot(lotNumber: $n) { status } }`, { n: lotNumber })).materialLot;
  const trail = async (entityType: string, entityId: string) =>
    (
      await admin(
        `query ($t: String!, $i: String!) { auditTrail(entityType: $t, entityId: $i) { edges { node { action actor reason } } } }`,
        { t: entityType, i: entityId },
      )
    ).auditTrail.edges.map((e: { node: Record<string, unknown> }) => e.node);

  beforeAll(async () => {
    sim = await QmsSimulator.start({ apiKeys: ['qms-key'] });
    ({ idp, hub } = await startDemoWithPeople(mode, {
      connectorTypes: [qmsRestConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
    }));
    people = {
      ...demoPeople(idp),
      // The integration engineer holds what the connector is given (Quality at the site) and may delegate it.
      integrator: () => idp.token({ sub: 'N4002', roles: ['integrator@acme/berlin', 'quality@acme/berlin'] }),
    };
    as = actAs(hub, people);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
  });

  it('an out-of-tolerance value becomes one nonconformance across 429, 5xx, a lost answer and a replay', async () => {
    const configured = await as.run('integrator', CONFIGURE, {
      i: {
        name: 'qms',
        type: 'qms-rest',
        scope: 'acme/berlin',
        settings: {
          baseUrl: sim.url,
          apiKey: 'qms-key',
          pollIntervalMs: POLL_MS,
          timeoutMs: 1000,
          linkTemplate: 'https://hub.example.com/deviations/{id}',
        },
        grants: [{ role: 'Quality', scope: 'acme/berlin' }],
        enabled: true,
      },
    });
    expect(configured.r).toMatchObject({ name: 'qms', enabled: true, secretNames: ['apiKey'] });
    const tested = await admin('mutation { testConnector(name: "qms") { ... on ConnectorInstance { health } } }');
    expect(tested.testConnector.health).toBe('Healthy');

    const posts = { method: 'POST', resource: 'nonconformances' };
    sim.inject({ kind: 'status', status: 429, retryAfterSeconds: 1 }, { match: posts });
    sim.inject({ kind: 'status', status: 503 }, { match: posts });
    sim.inject({ kind: 'hang-after-commit' }, { match: posts });
    const must = async (who: string, query: string, variables?: object) => {
      const answer = Object.values(await as.run(who, query, variables))[0] as { __typename: string };
      expect(['WorkOrder', 'StepRecord'], JSON.stringify(answer)).toContain(answer.__typename);
    };
    await draftOrder((q, v) => admin(q, v as Record<string, unknown>), 'WO-QMS-1', { window: 1 });
    await must('chen', RELEASE, { i: { number: 'WO-QMS-1', assignments: LINE_1_ASSIGNMENTS } });
    await must('ana', 'mutation { r: startWorkOrder(input: { number: "WO-QMS-1" }) { __typename } }');
    await must(
      'chen',
      'mutation ($s: SignatureInput) { r: confirmLineClearance(number: "WO-QMS-1", signature: $s) { __typename } }',
      {
        s: await signatureOf(people, 'chen', 'Responsibility'),
      },
    );
    await must('ana', 'mutation { r: startStep(number: "WO-QMS-1") { __typename } }');
    await must(
      'ana',
      'mutation { r: recordMeasurements(number: "WO-QMS-1", measurements: [{ parameter: "pressure", value: 196 }]) { __typename } }',
    );
    const [deviation] = await deviationsOf('WO-QMS-1');
    expect(deviation).toMatchObject({ kind: 'OutOfTolerance', segment: '10-stamp', qmsReference: null });

    const delivered = await eventually(
      async () => (await deliveries()).find((d: any) => d.eventType === 'DeviationOpened' && d.state === 'Delivered'),
      60_000,
      'the nonconformance delivered',
    );
    expect(sim.faults.pending).toBe(0);
    expect(delivered.reconciled).toBe(true); // the lost answer's record was found by its key
    expect(sim.fromHub()).toHaveLength(1);
    const [nc] = sim.fromHub();
    expect(nc).toMatchObject({
      externalReference: delivered.idempotencyKey,
      category: 'OutOfTolerance',
      severity: 'Major',
      order: 'WO-QMS-1',
      step: '10-stamp',
      equipment: 'acme/berlin/assembly/line-1',
      values: [{ parameter: 'pressure', value: 196, lowerLimit: 172, upperLimit: 188, withinTolerance: false }],
      source: {
        system: 'plantgraph',
        deviationId: deviation.id,
        link: `https://hub.example.com/deviations/${deviation.id}`,
      },
    });
    expect(delivered.externalReference).toBe(`nonconformances/${nc!.number}`);

    await admin('mutation ($id: ID!) { replayDelivery(id: $id) { __typename } }', { id: delivered.id });
    await eventually(async () => {
      const d = (await deliveries()).find((x: any) => x.id === delivered.id);
      return d.state === 'Delivered' && d.replays === 1 && d.reconciled;
    }, 30_000);
    expect(sim.fromHub()).toHaveLength(1);

    // The QMS's number and status come back onto the deviation, as the connector's principal.
    await eventually(
      async () => (await deviationsOf('WO-QMS-1'))[0].qmsReference === nc!.number,
      10_000,
      'the NC number',
    );
    expect((await deviationsOf('WO-QMS-1'))[0]).toMatchObject({ qmsStatus: 'Open', qmsUpdatedBy: 'connector:qms' });
  }, 180_000);

  it("the QMS's CAPA and closure come back onto the deviation, audited as the connector", async () => {
    const [nc] = sim.fromHub();
    sim.investigate(nc!.id, 'CAPA-2026-017');
    await eventually(async () => (await deviationsOf('WO-QMS-1'))[0].capaReference === 'CAPA-2026-017', 10_000);
    sim.closeCapa(nc!.id, 'Press relief valve replaced; 3 runs in tolerance');
    sim.closeRecord(nc!.id, '12 parts scrapped; root cause: worn relief valve');
    // The QMS status and the CAPA's closure are two changes in the hub (two transactions): wait for both.
    await eventually(
      async () => {
        const [d] = await deviationsOf('WO-QMS-1');
        return d.qmsStatus === 'Closed' && d.capaClosedAt != null;
      },
      10_000,
      'QMS closure',
    );
    const [deviation] = await deviationsOf('WO-QMS-1');
    expect(deviation).toMatchObject({
      qmsReference: nc!.number,
      qmsClosure: '12 parts scrapped; root cause: worn relief valve',
      qmsClosedAt: expect.any(String),
      capaLinkedBy: 'connector:qms',
      capaClosedAt: expect.any(String),
      capaClosure: 'Press relief valve replaced; 3 runs in tolerance',
    });
    const actions = (await trail('Deviation', deviation.id)).filter((a: any) => a.actor === 'connector:qms');
    expect(actions.map((a: any) => a.action)).toEqual(
      expect.arrayContaining(['DeviationQmsStatusRecorded', 'DeviationCapaLinked', 'DeviationCapaClosed']),
    );
    expect((await imports()).find((i: any) => i.reference === `nonconformance:${nc!.id}`)).toMatchObject({
      outcome: expect.stringMatching(/Updated|Unchanged/),
      hubReference: `deviation:${deviation.id}`,
    });
  }, 60_000);

  it('lot holds and releases go through the lot disposition; a refused one is a Rejected import', async () => {
    const hold = sim.decide('L-BOLT-0099', 'Hold', 'Supplier notice: hardness out of spec');
    await eventually(async () => (await lot('L-BOLT-0099')).status === 'OnHold', 10_000, 'the lot held');
    const { materialLot } = await admin('{ materialLot(lotNumber: "L-BOLT-0099") { id } }');
    const [change] = (await trail('MaterialLot', materialLot.id)).filter((a: any) => a.action === 'MaterialLotUpdated');
    expect(change).toMatchObject({ actor: 'connector:qms' });
    expect(change.reason).toContain(`QMS disposition ${hold.id}: Hold by qa.lead`);
    expect(change.reason).toContain('signed in the QMS by qa.lead (Approval)');
    expect(change.reason).toContain('Supplier notice: hardness out of spec');
    sim.decide('L-BOLT-0099', 'Release', 'Supplier retest passed');
    await eventually(async () => (await lot('L-BOLT-0099')).status === 'Released', 10_000, 'the lot released');

    // A lot an order produced follows that order's review: the hub refuses, the import says why.
    await draftOrder((q, v) => admin(q, v as Record<string, unknown>), 'WO-QMS-2', { quantity: 40, window: 2 });
    await executeToReview(as, people, 'WO-QMS-2', { lotNumber: 'L-QMS-2', quantity: 40 });
    const raised = await as.run(
      'ana',
      `mutation ($i: RaiseDeviationInput!) { r: raiseDeviation(input: $i) { ${R} } }`,
      {
        i: { workOrder: 'WO-QMS-2', kind: 'Material', severity: 'Minor', description: 'Two nuts from a torn bag' },
      },
    );
    expect(raised.r.__typename).toBe('Deviation');
    const refused = sim.decide('L-QMS-2', 'Hold', 'Customer complaint on the batch');
    const rejected = await eventually(
      async () => (await imports()).find((i: any) => i.reference === `disposition:${refused.id}`),
      10_000,
      'the refused disposition recorded',
    );
    expect(rejected).toMatchObject({ outcome: 'Rejected', reasons: [{ code: 'InvalidInput', field: 'lotNumber' }] });
    expect(rejected.reasons[0].message).toContain('is the output of order WO-QMS-2, which is UnderReview');
    expect((await lot('L-QMS-2')).status).not.toBe('OnHold');

    // The person's nonconformance went out with the order's lot.
    const manual = await eventually(
      async () => sim.fromHub().find((n) => n.category === 'Material'),
      30_000,
      'the manual nonconformance',
    );
    expect(manual).toMatchObject({ order: 'WO-QMS-2', lot: 'L-QMS-2', severity: 'Minor', step: null });
    expect(manual.description).toBe('Two nuts from a torn bag');
  }, 180_000);
});
