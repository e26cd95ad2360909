import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, type HubClient } from '@plantgraph/connector-sdk';
import { pollQms, QmsClient, qmsRestConnector } from '@plantgraph/connector-qms-rest';
import { QmsSimulator } from '@plantgraph/qms-rest-simulator';

/** A hub that answers the connector's reads and disposition calls, and keeps what it was asked. */
function fakeHub() {
  const calls: { query: string; variables?: Record<string, unknown> }[] = [];
  const hub: HubClient = {
    graphql: async <T>(query: string, variables?: Record<string, unknown>) => {
      calls.push({ query, variables });
      if (query.includes('materialLot(lotNumber')) return { data: { materialLot: { status: 'Released' } } as T };
      if (query.includes('updateMaterialLot')) return { data: { r: { __typename: 'MaterialLot' } } as T };
      return { errors: [{ message: `unexpected ${query.slice(0, 40)}` }] };
    },
  };
  return { hub, calls };
}

describe('the QMS client and simulator', () => {
  let sim: QmsSimulator;
  const client = (apiKey = 'k1', timeoutMs = 1000) => new QmsClient({ baseUrl: sim.url, apiKey, timeoutMs });
  const failure = async (p: Promise<unknown>) => {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  };
  const record = { title: 'Burr on edge', externalReference: 'key-1', severity: 'Minor' as const };

  beforeAll(async () => {
    sim = await QmsSimulator.start({ apiKeys: ['k1'] });
  });
  afterAll(() => sim?.close());

  it('classifies each failure for the runtime', async () => {
    expect((await failure(client('wrong').testConnection())).message).toMatch(/401 .*check the connector's apiKey/);
    const posts = { match: { method: 'POST', resource: 'nonconformances' } };
    sim.inject({ kind: 'status', status: 429, retryAfterSeconds: 2 }, posts);
    expect(await failure(client().createNonconformance(record as never))).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 2000,
    });
    sim.inject({ kind: 'status', status: 503, message: 'maintenance window' }, posts);
    expect(await failure(client().createNonconformance(record as never))).toMatchObject({
      kind: 'retryable',
      externalMessage: 'maintenance window',
    });
    const refused = await failure(client().createNonconformance({ ...record, severity: 'Huge' } as never));
    expect(refused).toMatchObject({ kind: 'permanent', externalMessage: expect.stringContaining('severity') });
    sim.inject({ kind: 'hang-after-commit' }, posts);
    expect(await failure(client('k1', 300).createNonconformance(record as never))).toMatchObject({ kind: 'ambiguous' });
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'GET' } });
    expect(await failure(client('k1', 300).listDispositions({ limit: 1 }))).toMatchObject({ kind: 'retryable' });
    // The lost answer's record is there, found by its key; nothing else carries it.
    const found = await client().listNonconformances({ externalReference: 'key-1', limit: 5 });
    expect(found.items.map((n) => n.title)).toEqual(['Burr on edge']);
    expect(await client().getNonconformance('nc-999')).toBeNull();
  });

  it('a poll takes each disposition once, across pages and later polls', async () => {
    for (const lot of ['L-1', 'L-2', 'L-3']) sim.decide(lot, 'Hold', 'suspect');
    sim.store.createNonconformance({ title: 'raised in the QMS, not from the hub' });
    const { hub, calls } = fakeHub();
    const first = await pollQms(client(), hub, null, 2);
    expect(first).toMatchObject({ more: true });
    const second = await pollQms(client(), hub, first.cursor, 2);
    const third = await pollQms(client(), hub, second.cursor, 2);
    expect(third.outcomes).toEqual([]);
    expect(third.more).toBe(false);
    const taken = [...first.outcomes, ...second.outcomes].filter((o) => o.reference.startsWith('disposition:'));
    expect(taken.map((o) => o.hubReference)).toEqual(['L-1', 'L-2', 'L-3']);
    expect(taken.every((o) => o.outcome === 'Updated')).toBe(true);
    const dispose = calls.filter((c) => c.query.includes('updateMaterialLot'));
    expect(dispose[0]!.variables).toMatchObject({ n: 'L-1', i: { status: 'OnHold' } });
    expect((dispose[0]!.variables as any).i.reason).toMatch(
      /^QMS disposition ld-\d+: Hold by qa\.lead .* signed in the QMS/,
    );
    // Decided again (a release): taken, once.
    sim.decide('L-2', 'Release', 'retested');
    const fourth = await pollQms(client(), hub, third.cursor, 2);
    // The fake hub holds every lot Released: the release changes nothing.
    expect(fourth.outcomes.map((o) => [o.hubReference, o.outcome])).toEqual([['L-2', 'Unchanged']]);
    expect((await pollQms(client(), hub, fourth.cursor, 2)).outcomes).toEqual([]);
  });

  it('checks the deviation kinds and reads a record by its reference', async () => {
    expect(qmsRestConnector.validate!({ deviationKinds: ['OutOfTolerance', 'Scratch'] })).toEqual([
      { field: 'deviationKinds', message: expect.stringContaining('OutOfTolerance') },
    ]);
    expect(qmsRestConnector.validate!({})).toEqual([]);
    const runtime = qmsRestConnector.create({
      name: 'qms',
      settings: { baseUrl: sim.url, apiKey: 'k1', timeoutMs: 1000, pollIntervalMs: 0, pageSize: 10 },
      hub: fakeHub().hub,
      log: console,
      store: { get: async () => null, set: async () => {} },
    });
    const job = runtime.inbound!.qualityDecisions!;
    expect(await job.importOne!('order:1')).toMatchObject({ outcome: 'Rejected', reasons: [{ field: 'reference' }] });
    expect(await job.importOne!('disposition:ld-999')).toMatchObject({
      outcome: 'Rejected',
      reasons: [{ code: 'UnknownRecord', message: 'The QMS has no lot disposition ld-999' }],
    });
    const [other] = [...sim.store.nonconformances.values()].filter((n) => !n.source);
    expect(await job.importOne!(`nonconformance:${other!.id}`)).toMatchObject({
      outcome: 'Rejected',
      reasons: [{ field: 'source' }],
    });
  });
});
