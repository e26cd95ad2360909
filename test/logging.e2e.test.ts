import { PassThrough } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { createHubLog, inRequestScope } from '@plantgraph/hub/dist/observability/logger.js';
import { spawnHub, type HubProcess } from './support/process.js';

const fakeExchange = (requestId?: string) => {
  const headers: Record<string, string> = {};
  const req = { headers: requestId ? { 'x-request-id': requestId } : {} } as unknown as IncomingMessage;
  const res = { setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v) } as unknown as ServerResponse;
  return { req, res, headers };
};

describe('structured logs', () => {
  it('writes JSON lines with component, level, time and the request id of the request being handled', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    const log = createHubLog('json', out);
    log.log('[ingest] paused: the database is unreachable');
    log.warn('[connector sap-demo] stream parts: lost');
    const { req, res, headers } = fakeExchange('client-trace-42');
    await inRequestScope(req, res, async () => {
      await new Promise((r) => setTimeout(r, 5)); // the id survives awaits inside the request
      log.error('[http] POST /graphql failed:', new Error('boom'));
    });
    const invalid = fakeExchange('not a valid id\n');
    inRequestScope(invalid.req, invalid.res, () => log.warn('[auth] refused'));
    await new Promise((r) => setImmediate(r));

    const [outside, spaced, inside, replaced] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(spaced).toMatchObject({ level: 'warn', component: 'connector sap-demo', msg: 'stream parts: lost' });
    expect(outside).toMatchObject({ level: 'info', component: 'ingest', msg: 'paused: the database is unreachable' });
    expect(outside!.requestId).toBeUndefined();
    expect(Date.parse(String(outside!.time))).not.toBeNaN();
    expect(inside).toMatchObject({ level: 'error', component: 'http', requestId: 'client-trace-42' });
    expect(String(inside!.msg)).toContain('Error: boom');
    expect(headers['x-request-id']).toBe('client-trace-42');
    expect(replaced!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(invalid.headers['x-request-id']).toBe(replaced!.requestId);
  });

  describe('a hub started with PLANTGRAPH_LOG_FORMAT=json', () => {
    let hub: HubProcess | null = null;
    afterAll(() => hub?.kill());

    it('writes only JSON lines and answers each request with its id', async () => {
      hub = await spawnHub({
        PATH: process.env.PATH ?? '',
        PLANTGRAPH_DATA_DIR: 'memory://',
        PLANTGRAPH_FLOWS: 'off',
        PLANTGRAPH_LOG_FORMAT: 'json',
      });
      const given = await fetch(`${hub.url}/healthz`, { headers: { 'X-Request-Id': 'probe-1' } });
      expect(given.headers.get('x-request-id')).toBe('probe-1');
      const generated = await fetch(`${hub.url}/healthz`);
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(hub.token).toMatch(/^pgk_/);
      const entries = hub
        .output()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            throw new Error(`not a JSON line: ${line}`);
          }
        });
      expect(entries.find((e) => String(e.msg).startsWith('ready at'))).toMatchObject({
        level: 'info',
        component: 'hub',
        service: 'plantgraph-hub',
      });
    });
  });
});
