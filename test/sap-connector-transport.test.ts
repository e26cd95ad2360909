// The SAP connector's OData transport against the simulator: CSRF with session cookies and the refetch
// on 403 "Required", SAP's error messages, and the classification the runtime acts on.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildBatchBody,
  classifyStatus,
  parseBatchResponse,
  parseSapErrorBody,
  SapError,
  SapS4HanaClient,
  type ConfirmationPayload,
} from '@plantgraph/connector-sap-s4hana';
import { startSapSimulator, type Fault, type SapSimulator } from './support/sap-simulator/index.js';

let sim: SapSimulator;
const credentials = { user: 'PLANTGRAPH', password: 'secret' };

beforeAll(async () => {
  sim = await startSapSimulator({ credentials });
  sim.addOrder({
    order: '1000001',
    material: 'FG-FRAME',
    quantity: 100,
    operations: [{ operation: '0010', workCenter: 'WELD' }],
  });
});
afterAll(() => sim.close());
beforeEach(() => sim.clearFaults());

const client = (timeoutMs = 2_000) =>
  new SapS4HanaClient({ baseUrl: sim.url, credentials, sapClient: '100', timeoutMs });

let keySeq = 0;
const payload = (yieldQty = '1'): ConfirmationPayload => ({
  OrderID: '1000001',
  OrderOperation: '0010',
  ExternalSystemConfirmation: `00000000-0000-4000-8000-${String(++keySeq).padStart(12, '0')}`,
  ConfirmationYieldQuantity: yieldQty,
  ConfirmationScrapQuantity: '0',
  ConfirmationReworkQuantity: '0',
  ConfirmationUnit: 'ST',
  FinalConfirmationType: '',
  IsFinalConfirmation: false,
  PostingDate: `/Date(${Date.UTC(2026, 2, 2)})/`,
});

async function failure(promise: Promise<unknown>): Promise<SapError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SapError);
  return error as SapError;
}

describe('SAP connector transport', () => {
  it('fetches a CSRF token with the session cookies once and reuses it', async () => {
    const sap = client();
    const fetchesBefore = sim.counters.csrfFetches;
    await sap.postConfirmation(payload());
    await sap.postConfirmation(payload());
    expect(sim.counters.csrfFetches - fetchesBefore).toBe(1);
    expect(sap.confirmations.counters).toMatchObject({ csrfFetches: 1, csrfRetries: 0 });
    expect(sap.confirmations.cookies.header()).toMatch(/SAP_SESSIONID_SIM_100=/);
  });

  it('fetches again once when SAP answers 403 X-CSRF-Token: Required, and posts once', async () => {
    const sap = client();
    await sap.testConnection();
    const before = sim.confirmations().length;
    sim.expireCsrfTokens();
    const confirmation = await sap.postConfirmation(payload());
    expect(confirmation.confirmationGroup).not.toBe('');
    expect(sap.confirmations.counters).toMatchObject({ csrfRetries: 1 });
    expect(sim.confirmations().length).toBe(before + 1);
  });

  it('says so when SAP refuses a fresh token too (cookies lost on the way)', async () => {
    const sap = client();
    await sap.testConnection();
    // A proxy that drops cookies: every session SAP opens is forgotten at once.
    const jar = sap.confirmations.cookies;
    const originalStore = jar.store.bind(jar);
    jar.store = () => undefined;
    jar.clear();
    const error = await failure(sap.postConfirmation(payload()));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/session cookies are not kept/);
    jar.store = originalStore;
  });

  it('reports wrong credentials as permanent, with the status', async () => {
    const sap = new SapS4HanaClient({ baseUrl: sim.url, credentials: { user: 'PLANTGRAPH', password: 'wrong' } });
    const error = await failure(sap.testConnection());
    expect([error.kind, error.status]).toEqual(['permanent', 401]);
  });

  it("carries SAP's message and code on a business error, classified permanent", async () => {
    const error = await failure(client().postConfirmation({ ...payload(), OrderID: '4711' }));
    expect(error.kind).toBe('permanent');
    expect(error.status).toBe(400);
    expect(error.sapCode).toBe('ZSIM_PP/001');
    expect(error.sapMessage).toBe('Order 4711 does not exist');
    expect(error.details[0]).toMatchObject({ message: 'Order 4711 does not exist', target: 'OrderID' });
    expect(error.message).toContain('Order 4711 does not exist');
  });

  it.each([
    ['503 on a post', { kind: 'status', status: 503 } as const, 'POST', 'retryable'],
    ['500 on a read', { kind: 'status', status: 500 } as const, 'GET', 'retryable'],
    [
      '504 on a post (a proxy timed out, SAP may commit)',
      { kind: 'status', status: 504 } as const,
      'POST',
      'ambiguous',
    ],
    ['502 on a read', { kind: 'status', status: 502 } as const, 'GET', 'retryable'],
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: '12' } as const, 'POST', 'rate-limited'],
    ['a reset of a read', { kind: 'reset-before-commit' } as const, 'GET', 'retryable'],
    ['a reset after a post was sent', { kind: 'reset-after-commit' } as const, 'POST', 'ambiguous'],
    ['a post whose answer never comes', { kind: 'hang-after-commit' } as const, 'POST', 'ambiguous'],
    [
      'an injected business error',
      { kind: 'business-error', message: 'Posting period 2026/03 is closed' } as const,
      'POST',
      'permanent',
    ],
  ] as [string, Fault, string, string][])('classifies %s', async (_name, fault, method, kind) => {
    const sap = client(400);
    await sap.testConnection();
    sim.inject(fault, fault.kind === 'business-error' ? {} : { match: { method } });
    const call = method === 'GET' ? sap.getOrder('1000001') : sap.postConfirmation(payload());
    const error = await failure(call);
    expect(error.kind).toBe(kind);
    if (fault.kind === 'status' && fault.retryAfter !== undefined) expect(error.retryAfterMs).toBe(12_000);
    if (fault.kind === 'business-error') expect(error.sapMessage).toBe('Posting period 2026/03 is closed');
    if (kind === 'ambiguous') expect(error.requestSent).toBe(true);
  });

  it('classifies a refused connection as retryable and not sent', async () => {
    const closed = await startSapSimulator();
    const url = closed.url;
    await closed.close();
    const error = await failure(new SapS4HanaClient({ baseUrl: url }).postConfirmation(payload()));
    expect(error.kind).toBe('retryable');
    expect(error.requestSent).toBe(false);
  });

  it('reads SAP errors in JSON, XML and plain text', () => {
    expect(
      parseSapErrorBody('{"error":{"code":"RU/155","message":{"lang":"en","value":"Order is locked"}}}'),
    ).toMatchObject({
      code: 'RU/155',
      message: 'Order is locked',
    });
    const xml =
      '<?xml version="1.0"?><error xmlns="x"><code>/IWBEP/CM_MGW_RT/020</code><message xml:lang="en">Property &apos;X&apos; is invalid</message></error>';
    expect(parseSapErrorBody(xml)).toMatchObject({ code: '/IWBEP/CM_MGW_RT/020', message: "Property 'X' is invalid" });
    expect(parseSapErrorBody('CSRF token validation failed', 'text/plain').message).toBe(
      'CSRF token validation failed',
    );
    expect(classifyStatus(412, 'POST')).toBe('permanent');
    expect(classifyStatus(408, 'POST')).toBe('retryable');
  });

  it('builds a $batch and reads a failed changeset inside a successful response', async () => {
    const items = [
      [{ method: 'POST' as const, url: 'ProdnOrdConf2', body: payload() }],
      [{ method: 'POST' as const, url: 'ProdnOrdConf2', body: { ...payload(), OrderID: '4711' } }],
      { method: 'GET' as const, url: "A_ProductionOrder_2('1000001')" },
    ];
    const { body, contentType } = buildBatchBody(items, 'batch_test');
    expect(contentType).toBe('multipart/mixed; boundary=batch_test');
    expect(body.split('\r\n')).toContain('POST ProdnOrdConf2 HTTP/1.1');

    const sap = client();
    const before = sim.confirmations().length;
    const results = await sap.confirmations.batch(items.slice(0, 2));
    expect(results.map((r) => [r.kind, r.ok])).toEqual([
      ['changeset', true],
      ['changeset', false],
    ]);
    const failed = results[1];
    if (failed.ok) throw new Error('expected a failed changeset');
    expect([failed.error.kind, failed.error.sapMessage]).toEqual(['permanent', 'Order 4711 does not exist']);
    expect(sim.confirmations().length).toBe(before + 1);

    // A response with fewer parts than requests cannot be trusted: ambiguous, reconcile.
    const truncated = '--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 201 Created\r\n\r\n{}\r\n--b--\r\n';
    expect(() => parseBatchResponse(items.slice(0, 2), 'multipart/mixed; boundary=b', truncated)).toThrow(
      expect.objectContaining({ kind: 'ambiguous' }),
    );
  });
});
