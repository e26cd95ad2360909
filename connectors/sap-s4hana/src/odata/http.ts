// One HTTP exchange on node:http(s), with what the runtime needs to know when it fails: whether the
// request had left this process. fetch() hides that, and it is the difference between "retry" and
// "reconcile first" for a POST that may have been committed.

import http from 'node:http';
import https from 'node:https';
import { SapError } from './errors.js';

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Keep-alive: SAP's ICM keeps connections, and a TLS handshake per confirmation would cost more than the call.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function sendHttp(request: HttpRequest): Promise<HttpResponse> {
  const { method, url, timeoutMs } = request;
  const isHttps = url.protocol === 'https:';
  const transport = isHttps ? https : http;
  const safe = SAFE_METHODS.has(method.toUpperCase());
  const headers: Record<string, string | number> = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);

  return new Promise<HttpResponse>((resolve, reject) => {
    let sent = false;
    let settled = false;
    const describe = `${method} ${url.pathname}`;
    const fail = (reason: 'timeout' | 'network' | 'aborted', cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      const ambiguous = sent && !safe;
      const code = (cause as NodeJS.ErrnoException | undefined)?.code;
      const what =
        reason === 'timeout'
          ? `no answer within ${timeoutMs} ms`
          : reason === 'aborted'
            ? 'aborted'
            : (code ?? String(cause));
      reject(
        new SapError({
          kind: ambiguous ? 'ambiguous' : 'retryable',
          message: ambiguous
            ? `${describe}: ${what} after the request was sent; SAP may have applied it, reconcile before re-posting`
            : `${describe}: ${what}`,
          requestSent: sent,
          cause,
        }),
      );
    };
    const onAbort = () => fail('aborted', request.signal?.reason);
    const timer = setTimeout(() => fail('timeout'), timeoutMs);
    if (request.signal?.aborted) {
      clearTimeout(timer);
      reject(new SapError({ kind: 'retryable', message: `${describe}: aborted before sending` }));
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });

    const req = transport.request(url, { method, headers, agent: isHttps ? agents.https : agents.http }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => fail('network', error));
      // 'close' without a complete body: the socket went away mid-answer.
      res.on('close', () => {
        if (!res.complete) fail('network', new Error('response cut off'));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    // 'finish': the whole request was handed to the socket. From here on SAP may process it.
    req.on('finish', () => {
      sent = true;
    });
    req.on('error', (error) => fail('network', error));
    req.end(request.body);
  });
}
