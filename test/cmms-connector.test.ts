import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaintainXSimulator } from '@plantgraph/cmms-maintainx-simulator';
import {
  MaintainXClient,
  maintainXConnector,
  signatureProblem,
  signWebhook,
  validateMapping,
  workOrderIdOf,
} from '@plantgraph/connector-cmms-maintainx';
import { ConnectorError } from '@plantgraph/connector-sdk';

const PRESS = 'acme/berlin/assembly/line-1/press-1';

describe('the MaintainX mapping', () => {
  it('names each issue with its path and what to fix', () => {
    const result = validateMapping({
      version: 2,
      assets: [
        { assetId: 501, equipment: PRESS, meters: { runtimeHours: 9001, hours: 1 } },
        { assetId: 501, equipment: 'press one' },
        { assetId: 0, equipment: PRESS, meters: { cycleCount: 9001 } },
      ],
      conditions: { OPEN: 'Broken', DONE: 'UnderMaintenance' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual([
      'version',
      'assets[0].meters.hours',
      'assets[1].assetId',
      'assets[1].equipment',
      'assets[2].assetId',
      'assets[2].equipment',
      'assets[2].meters.cycleCount',
      'conditions.OPEN',
      'conditions.DONE',
    ]);
    expect(result.issues.find((i) => i.path === 'assets[1].equipment')!.message).toMatch(/equipment path, e\.g\./);
  });

  it('fills the defaults, and the definition reports issues as settings fields', () => {
    const result = validateMapping({ version: 1, assets: [{ assetId: 501, equipment: PRESS }] });
    expect(result).toMatchObject({
      ok: true,
      mapping: { calibrationCategories: ['Calibration'], conditions: { OPEN: 'UnderMaintenance' } },
    });
    const issues = maintainXConnector.validate!({ mapping: { version: 1, assets: [] }, alertRules: [3] });
    expect(issues.map((i) => i.field)).toEqual(['mapping.assets', 'alertRules']);
  });
});

describe('the MaintainX client against the simulator', () => {
  let sim: MaintainXSimulator;
  const client = (apiKey = 'k1', timeoutMs = 1000) => new MaintainXClient({ baseUrl: sim.url, apiKey, timeoutMs });
  const failure = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  };

  beforeAll(async () => {
    sim = await MaintainXSimulator.start({ apiKeys: ['k1'], maxPageSize: 2 });
    sim.addAsset(501, 'Press 1');
    for (let i = 0; i < 5; i++) sim.openWorkOrder({ title: `WO ${i}`, assetId: 501 });
  });
  afterAll(() => sim?.close());

  it('pages with the cursor through every work order once, oldest change first', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await client().listWorkOrders({ cursor, limit: 100 });
      expect(page.workOrders.length).toBeLessThanOrEqual(2);
      seen.push(...page.workOrders.map((w) => w.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...sim.store.workOrders.keys()]);
  });

  it('classifies 401, 429, 5xx and a lost answer after the commit', async () => {
    expect((await failure(client('wrong').testConnection())).kind).toBe('permanent');
    sim.inject({ kind: 'status', status: 429, retryAfterSeconds: 2 });
    const limited = await failure(client().testConnection());
    expect([limited.kind, limited.retryAfterMs]).toEqual(['rate-limited', 2000]);
    sim.inject({ kind: 'status', status: 503 });
    expect((await failure(client().testConnection())).kind).toBe('retryable');
    const before = sim.store.workOrders.size;
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST' } });
    const lost = await failure(
      client().createWorkOrder({
        title: 'Breakdown',
        description: '',
        assetId: 501,
        priority: 'HIGH',
        categories: [],
        externalData: { plantgraphKey: 'k' },
      }),
    );
    expect(lost.kind).toBe('ambiguous');
    expect(sim.store.workOrders.size).toBe(before + 1); // it was committed
  });

  it('answers 429 with Retry-After beyond its rate limit', async () => {
    const limited = await MaintainXSimulator.start({ ratePerSecond: 2 });
    try {
      const c = new MaintainXClient({ baseUrl: limited.url, apiKey: 'sim-api-key', timeoutMs: 1000 });
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => c.listWorkOrders({ limit: 1 })));
      const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect((refused[0]!.reason as ConnectorError).kind).toBe('rate-limited');
    } finally {
      await limited.close();
    }
  });
});

describe('the MaintainX webhook signature', () => {
  const body = '{"type":"WORK_ORDER_CHANGE","workOrderId":1001}';
  const now = Date.parse('2026-12-03T10:00:00Z');
  const t = now / 1000;

  it('takes the body signed with the secret within five minutes, and refuses anything else', () => {
    expect(signatureProblem('s3cret', signWebhook('s3cret', body, t - 299), body, now)).toBeNull();
    expect(signatureProblem('s3cret', undefined, body, now)).toContain('header is missing');
    expect(signatureProblem('s3cret', 'sha256=abc', body, now)).toContain('must read t=<unix seconds>,v1=');
    expect(signatureProblem('s3cret', signWebhook('s3cret', body, t - 301), body, now)).toContain('more than 300 s');
    expect(signatureProblem('s3cret', signWebhook('other', body, t), body, now)).toContain('does not match');
    const tampered = body.replace('1001', '1002');
    expect(signatureProblem('s3cret', signWebhook('s3cret', body, t), tampered, now)).toContain('does not match');
  });

  it('finds the work order a call names', () => {
    expect(workOrderIdOf(body)).toBe(1001);
    expect(workOrderIdOf('{"newWorkOrder":{"id":7}}')).toBe(7);
    expect(workOrderIdOf('{"workOrderId":"x"}')).toBeNull();
    expect(workOrderIdOf('not json')).toBeNull();
  });
});
