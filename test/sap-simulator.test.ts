// The SAP simulator on its own, over raw HTTP: it must behave as Gateway does for the connector's tests
// to mean anything (CSRF with session cookies, OData V2 JSON, $filter, $batch, validation, faults).

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSapSimulator, type SapSimulator } from './support/sap-simulator/index.js';

let sim: SapSimulator;
let orders: string;
let confirmations: string;

beforeAll(async () => {
  sim = await startSapSimulator({ credentials: { user: 'PLANTGRAPH', password: 'secret' } });
  orders = sim.serviceUrl('production-order');
  confirmations = sim.serviceUrl('confirmation');
  sim.addMaterial({ material: 'RM-STEEL', plant: '1710', baseUnit: 'KG', batches: ['B-001'] });
  sim.addOrder({
    order: '1000001',
    material: 'FG-FRAME',
    quantity: 10,
    plannedStart: '2026-03-02T06:00:00',
    plannedEnd: '2026-03-02T14:30:00',
    changedAt: new Date('2026-03-01T10:00:00Z'),
    operations: [
      { operation: '0010', workCenter: 'WELD' },
      { operation: '0020', workCenter: 'PAINT' },
    ],
    components: [{ material: 'RM-STEEL', quantity: 25, unit: 'KG', storageLocation: '171A' }],
  });
  sim.addOrder({
    order: '1000002',
    material: 'FG-FRAME',
    plant: '1720',
    quantity: 5,
    changedAt: new Date('2026-03-01T11:00:00Z'),
    operations: [{ operation: '0010', workCenter: 'WELD' }],
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFaults();
  sim.duplicates = 'accept';
});

const auth = {
  Authorization: `Basic ${Buffer.from('PLANTGRAPH:secret').toString('base64')}`,
  Accept: 'application/json',
};

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers: { ...auth, ...headers } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A token and the session cookies it is bound to. */
async function session(): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${confirmations}/`, { method: 'HEAD', headers: { ...auth, 'X-CSRF-Token': 'Fetch' } });
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { token: response.headers.get('x-csrf-token') ?? '', cookie };
}

async function post(
  path: string,
  body: string,
  s: { token: string; cookie: string },
  contentType = 'application/json',
) {
  const response = await fetch(`${confirmations}/${path}`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': contentType, 'X-CSRF-Token': s.token, Cookie: s.cookie },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const confirmation = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    OrderID: '1000001',
    OrderOperation: '0020',
    ConfirmationYieldQuantity: '4',
    ConfirmationScrapQuantity: '0',
    ConfirmationUnit: 'ST',
    IsFinalConfirmation: false,
    ExternalSystemConfirmation: '7d3f0a4e-8a43-4a53-9a55-2a4b1d5e6f70',
    to_ProdnOrdConfMatlDocItm: [
      {
        GoodsMovementType: '261',
        Material: 'RM-STEEL',
        Plant: '1710',
        StorageLocation: '171A',
        Batch: 'B-001',
        QuantityInEntryUnit: '10',
        EntryUnit: 'KG',
      },
    ],
    ...overrides,
  });

describe('SAP simulator', () => {
  it('serves its metadata and refuses callers without credentials', async () => {
    const metadata = await get(`${orders}/$metadata`);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toContain('<EntitySet Name="A_ProductionOrder_2"');
    expect(metadata.text).toContain('A_ProductionOrderComponent_4');
    const anonymous = await fetch(`${orders}/A_ProductionOrder_2`, { headers: { Accept: 'application/json' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('answers orders in OData V2 JSON with __metadata, ETags, /Date()/ values and $expand', async () => {
    const { status, headers, text } = await get(
      `${orders}/A_ProductionOrder_2('1000001')?$expand=to_ProductionOrderOperation,to_ProductionOrderComponent`,
    );
    expect(status).toBe(200);
    const d = JSON.parse(text).d;
    expect(d.__metadata.type).toBe('API_PRODUCTION_ORDER_2_SRV.A_ProductionOrder_2Type');
    expect(d.__metadata.uri).toBe(`${orders}/A_ProductionOrder_2('1000001')`);
    expect(headers.get('etag')).toBe(d.__metadata.etag);
    expect(d.LastChangeDateTime).toBe(`/Date(${Date.parse('2026-03-01T10:00:00Z')}+0000)/`);
    expect(d.MfgOrderPlannedStartDate).toBe(`/Date(${Date.parse('2026-03-02T00:00:00Z')})/`);
    expect(d.MfgOrderPlannedEndTime).toBe('PT14H30M00S');
    expect(d.TotalQuantity).toBe('10.000');
    expect(d.to_ProductionOrderOperation.results.map((o: { WorkCenter: string }) => o.WorkCenter)).toEqual([
      'WELD',
      'PAINT',
    ]);
    expect(d.to_ProductionOrderComponent.results[0]).toMatchObject({
      Material: 'RM-STEEL',
      RequiredQuantity: '25.000',
    });
    const notModified = await get(`${orders}/A_ProductionOrder_2('1000001')`, { 'If-None-Match': d.__metadata.etag });
    expect(notModified.status).toBe(304);
    const deferred = JSON.parse((await get(`${orders}/A_ProductionOrder_2('1000002')`)).text).d;
    expect(deferred.to_ProductionOrderOperation.__deferred.uri).toContain(
      "A_ProductionOrder_2('1000002')/to_ProductionOrderOperation",
    );
  });

  it('filters by change date and plant, orders, pages and counts', async () => {
    const filter = encodeURIComponent(
      "LastChangeDateTime gt datetimeoffset'2026-03-01T10:30:00Z' and ProductionPlant eq '1720'",
    );
    const one = JSON.parse((await get(`${orders}/A_ProductionOrder_2?$filter=${filter}&$inlinecount=allpages`)).text).d;
    expect(one.results.map((o: { ManufacturingOrder: string }) => o.ManufacturingOrder)).toEqual(['1000002']);
    expect(one.__count).toBe('1');
    const page = JSON.parse(
      (await get(`${orders}/A_ProductionOrder_2?$orderby=ManufacturingOrder desc&$top=1&$skip=1`)).text,
    ).d;
    expect(page.results.map((o: { ManufacturingOrder: string }) => o.ManufacturingOrder)).toEqual(['1000001']);
    // Gateway refuses a literal of the wrong type instead of guessing.
    const wrongType = await get(
      `${orders}/A_ProductionOrder_2?$filter=${encodeURIComponent("LastChangeDateTime gt datetime'2026-03-01T10:30:00'")}`,
    );
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.text).error.message.value).toMatch(/Invalid parametertype/);
    const selected = JSON.parse(
      (
        await get(
          `${orders}/A_ProductionOrder_2('1000001')?$select=TotalQuantity,to_ProductionOrderOperation/WorkCenter` +
            '&$expand=to_ProductionOrderOperation',
        )
      ).text,
    ).d;
    expect(Object.keys(selected)).toEqual([
      '__metadata',
      'ManufacturingOrder',
      'TotalQuantity',
      'to_ProductionOrderOperation',
    ]);
    expect(Object.keys(selected.to_ProductionOrderOperation.results[0])).toEqual([
      '__metadata',
      'OrderInternalBillOfOperations',
      'OrderIntBillOfOperationsItem',
      'WorkCenter',
    ]);
    const unknown = await get(`${orders}/A_ProductionOrder_2?$filter=${encodeURIComponent("Nope eq 'x'")}`);
    expect(JSON.parse(unknown.text).error.message.value).toBe(
      'Property Nope not found in type A_ProductionOrder_2Type',
    );
  });

  it('binds the CSRF token to the session cookies and refuses a post without both', async () => {
    const s = await session();
    expect(s.token).not.toBe('');
    expect(s.cookie).toMatch(/SAP_SESSIONID_SIM_100=/);
    const withoutCookie = await post('ProdnOrdConf2', confirmation(), { token: s.token, cookie: '' });
    expect(withoutCookie.status).toBe(403);
    expect(withoutCookie.headers.get('x-csrf-token')).toBe('Required');
    const withoutToken = await post('ProdnOrdConf2', confirmation(), { token: '', cookie: s.cookie });
    expect(withoutToken.status).toBe(403);
    expect(sim.confirmations()).toHaveLength(0);

    // The same session gets the same token back.
    const again = await fetch(`${confirmations}/`, {
      method: 'HEAD',
      headers: { ...auth, 'X-CSRF-Token': 'Fetch', Cookie: s.cookie },
    });
    expect(again.headers.get('x-csrf-token')).toBe(s.token);
    sim.expireCsrfTokens();
    const expired = await post('ProdnOrdConf2', confirmation(), s);
    expect(expired.status).toBe(403);
    expect(expired.headers.get('x-csrf-token')).toBe('Required');
  });

  it('stores a confirmation with its goods movements and answers it with its key', async () => {
    const s = await session();
    const created = await post('ProdnOrdConf2', confirmation(), s);
    expect(created.status).toBe(201);
    const d = JSON.parse(created.text).d;
    expect(d).toMatchObject({
      OrderID: '1000001',
      OrderOperation: '0020',
      ConfirmationYieldQuantity: '4.000',
      ConfirmationCount: '1',
    });
    expect(created.headers.get('location')).toBe(d.__metadata.uri);
    expect(d.to_ProdnOrdConfMatlDocItm.results[0]).toMatchObject({
      GoodsMovementType: '261',
      Batch: 'B-001',
      MaterialDocumentItem: '0001',
    });

    const key = encodeURIComponent("ExternalSystemConfirmation eq guid'7d3f0a4e-8a43-4a53-9a55-2a4b1d5e6f70'");
    const found = JSON.parse(
      (await get(`${confirmations}/ProdnOrdConf2?$filter=${key}&$expand=to_ProdnOrdConfMatlDocItm`)).text,
    ).d;
    expect(found.results).toHaveLength(1);
    expect(found.results[0].to_ProdnOrdConfMatlDocItm.results).toHaveLength(1);
    const order = JSON.parse(
      (await get(`${orders}/A_ProductionOrder_2('1000001')?$expand=to_ProductionOrderComponent`)).text,
    ).d;
    expect(order.MfgOrderConfirmedYieldQty).toBe('4.000');
    expect(order.to_ProductionOrderComponent.results[0].WithdrawnQuantity).toBe('10.000');

    const cancel = await post(
      `CancelProdnOrdConf?ConfirmationGroup='${d.ConfirmationGroup}'&ConfirmationCount='1'`,
      '',
      s,
    );
    expect(cancel.status).toBe(200);
    expect(JSON.parse(cancel.text).d).toMatchObject({ IsReversal: true, ConfirmationCount: '2' });
    expect(JSON.parse(cancel.text).d.to_ProdnOrdConfMatlDocItm.results[0].GoodsMovementType).toBe('262');
    expect(sim.liveConfirmations()).toHaveLength(0);
    const twice = await post(
      `CancelProdnOrdConf?ConfirmationGroup='${d.ConfirmationGroup}'&ConfirmationCount='1'`,
      '',
      s,
    );
    expect(twice.status).toBe(400);
    expect(JSON.parse(twice.text).error.message.value).toMatch(/already cancelled/);
  });

  it.each([
    [{ OrderID: '9999999' }, 'Order 9999999 does not exist'],
    [{ ConfirmationYieldQuantity: '11' }, /exceeds the open quantity 10 ST/],
    [{ ConfirmationUnit: 'EA' }, 'Unit EA is not the unit ST of order 1000001'],
    [
      {
        to_ProdnOrdConfMatlDocItm: [
          {
            GoodsMovementType: '261',
            Material: 'RM-NONE',
            Plant: '1710',
            StorageLocation: '171A',
            QuantityInEntryUnit: '1',
            EntryUnit: 'KG',
          },
        ],
      },
      'Material RM-NONE is not maintained in plant 1710',
    ],
    [
      {
        to_ProdnOrdConfMatlDocItm: [
          {
            GoodsMovementType: '261',
            Material: 'RM-STEEL',
            Plant: '1710',
            StorageLocation: '171A',
            Batch: 'B-999',
            QuantityInEntryUnit: '1',
            EntryUnit: 'KG',
          },
        ],
      },
      'Batch B-999 does not exist for material RM-STEEL in plant 1710',
    ],
    [{ ConfirmationYieldQuantity: 4 }, /Invalid value '4' for property 'ConfirmationYieldQuantity'/],
    [{ Batch: 'X' }, "Property 'Batch' is invalid"],
  ])("refuses %j with SAP's error JSON", async (overrides, message) => {
    const before = sim.confirmations().length;
    const refused = await post('ProdnOrdConf2', confirmation(overrides), await session());
    expect(refused.status).toBe(400);
    const error = JSON.parse(refused.text).error;
    expect(error.message.lang).toBe('en');
    expect(error.message.value).toMatch(message);
    expect(error.innererror.errordetails[0].severity).toBe('error');
    expect(sim.confirmations()).toHaveLength(before);
  });

  it('accepts or rejects a repeated ExternalSystemConfirmation, as configured', async () => {
    const s = await session();
    const body = confirmation({
      ExternalSystemConfirmation: 'a1b2c3d4-0000-4000-8000-000000000001',
      to_ProdnOrdConfMatlDocItm: [],
      ConfirmationYieldQuantity: '1',
    });
    expect((await post('ProdnOrdConf2', body, s)).status).toBe(201);
    expect((await post('ProdnOrdConf2', body, s)).status).toBe(201);
    sim.duplicates = 'reject';
    const refused = await post('ProdnOrdConf2', body, s);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error.message.value).toMatch(
      /already has external key a1b2c3d4-0000-4000-8000-000000000001/,
    );
    expect(
      sim.confirmations().filter((c) => c.ExternalSystemConfirmation === 'a1b2c3d4-0000-4000-8000-000000000001'),
    ).toHaveLength(2);
  });

  it('runs $batch changesets atomically and reports a failed one inside a 202', async () => {
    const s = await session();
    const before = sim.confirmations().length;
    const part = (body: string) =>
      [
        '--cs',
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        '',
        'POST ProdnOrdConf2 HTTP/1.1',
        'Content-Type: application/json',
        'Accept: application/json',
        '',
        body,
      ].join('\r\n');
    const good = confirmation({
      ExternalSystemConfirmation: 'b0000000-0000-4000-8000-000000000001',
      ConfirmationYieldQuantity: '1',
      to_ProdnOrdConfMatlDocItm: [],
    });
    const bad = confirmation({ OrderID: '9999999' });
    const body = [
      '--batch',
      'Content-Type: multipart/mixed; boundary=cs',
      '',
      part(good),
      part(bad),
      '--cs--',
      '--batch',
      'Content-Type: multipart/mixed; boundary=cs',
      '',
      part(good),
      '--cs--',
      '--batch',
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      "GET ProdnOrdConf2?$filter=ExternalSystemConfirmation%20eq%20guid'b0000000-0000-4000-8000-000000000001' HTTP/1.1",
      'Accept: application/json',
      '',
      '',
      '--batch--',
      '',
    ].join('\r\n');
    const response = await post('$batch', body, s, 'multipart/mixed; boundary=batch');
    expect(response.status).toBe(202);
    const boundary = /boundary=(\S+)/.exec(response.headers.get('content-type') ?? '')?.[1];
    const parts = response.text.split(`--${boundary}`).slice(1, -1);
    expect(parts).toHaveLength(3);
    expect(parts[0]).toMatch(/HTTP\/1\.1 400 Bad Request/);
    expect(parts[0]).toContain('Order 9999999 does not exist');
    expect(parts[1]).toMatch(/multipart\/mixed; boundary=changeset_/);
    expect(parts[1]).toMatch(/HTTP\/1\.1 201 Created/);
    // The query after the changesets sees the second changeset's confirmation, not the first's.
    expect(JSON.parse(parts[2].slice(parts[2].indexOf('{'))).d.results).toHaveLength(1);
    expect(sim.confirmations().length).toBe(before + 1);
    const noToken = await post('$batch', body, { token: '', cookie: s.cookie }, 'multipart/mixed; boundary=batch');
    expect(noToken.status).toBe(403);
  });

  it('injects statuses, resets and a commit without an answer', async () => {
    sim.inject({ kind: 'status', status: 429, retryAfter: '7' }, { match: { method: 'GET' } });
    const limited = await get(`${orders}/A_ProductionOrder_2`);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await get(`${orders}/A_ProductionOrder_2`)).status).toBe(200);

    sim.inject({ kind: 'reset-before-commit' }, { match: { resource: 'A_ProductionOrder_2' } });
    await expect(get(`${orders}/A_ProductionOrder_2`)).rejects.toThrow();

    const s = await session();
    const before = sim.confirmations().length;
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    const body = confirmation({
      ExternalSystemConfirmation: 'c0000000-0000-4000-8000-000000000001',
      ConfirmationYieldQuantity: '1',
      to_ProdnOrdConfMatlDocItm: [],
    });
    const hung = fetch(`${confirmations}/ProdnOrdConf2`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', 'X-CSRF-Token': s.token, Cookie: s.cookie },
      body,
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow();
    expect(sim.confirmations().length).toBe(before + 1);

    sim.inject({ kind: 'business-error', message: 'Posting period 2026/03 is closed' }, { times: 2 });
    for (let i = 0; i < 2; i++) {
      const refused = await post('ProdnOrdConf2', body, s);
      expect(JSON.parse(refused.text).error.message.value).toBe('Posting period 2026/03 is closed');
    }
    expect((await post('ProdnOrdConf2', body, s)).status).toBe(201);
    expect(sim.counters.faultsPending).toBe(0);
  });
});
