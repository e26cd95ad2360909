// $batch on the server side: the multipart/mixed request split into queries and changesets, each
// changeset applied atomically (rolled back as a whole when one of its requests fails, answered then by a
// single error part), all answered in one 202 multipart/mixed response.

import { randomUUID } from 'node:crypto';
import { SimError } from './sap-error.js';

export interface EmbeddedRequest {
  method: string;
  /** As written in the part: relative to the service root, or an absolute path. */
  url: string;
  headers: Record<string, string>;
  body: string;
  contentId?: string;
}

export interface EmbeddedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BatchEntry =
  | { kind: 'query'; request: EmbeddedRequest }
  | { kind: 'changeset'; requests: EmbeddedRequest[] };

const CRLF = '\r\n';

export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function split(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    const closing = trimmed === `--${boundary}--`;
    if (closing || trimmed === `--${boundary}`) {
      if (current) parts.push(current.join(CRLF));
      if (closing) return parts;
      current = [];
    } else current?.push(line);
  }
  throw new SimError(400, '/IWBEP/CM_MGW_RT/031', `Batch: closing delimiter --${boundary}-- missing`);
}

function headersAndRest(text: string): { headers: Record<string, string>; rest: string } {
  const lines = text.split(/\r?\n/);
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  return { headers, rest: lines.slice(i + 1).join(CRLF) };
}

function embedded(part: string): EmbeddedRequest {
  const { headers: partHeaders, rest } = headersAndRest(part);
  if (!(partHeaders['content-type'] ?? '').startsWith('application/http')) {
    throw new SimError(
      400,
      '/IWBEP/CM_MGW_RT/031',
      'Batch: a part must be application/http or a multipart/mixed changeset',
    );
  }
  const newline = rest.search(/\r?\n/);
  const requestLine = (newline < 0 ? rest : rest.slice(0, newline)).trim();
  const match = /^([A-Z]+)\s+(\S+)\s+HTTP\/1\.[01]$/.exec(requestLine);
  if (!match) throw new SimError(400, '/IWBEP/CM_MGW_RT/031', `Batch: invalid request line '${requestLine}'`);
  const { headers, rest: body } = headersAndRest(newline < 0 ? '' : rest.slice(newline).replace(/^\r?\n/, ''));
  return {
    method: match[1],
    url: match[2],
    headers,
    body: body.replace(/(\r?\n)+$/, ''),
    contentId: partHeaders['content-id'],
  };
}

export function parseBatch(contentType: string, body: string): BatchEntry[] {
  const boundary = boundaryOf(contentType);
  if (!contentType.startsWith('multipart/mixed') || !boundary) {
    throw new SimError(400, '/IWBEP/CM_MGW_RT/031', 'Batch: Content-Type must be multipart/mixed with a boundary');
  }
  return split(body, boundary).map((part): BatchEntry => {
    const { headers, rest } = headersAndRest(part);
    const type = headers['content-type'] ?? '';
    if (type.startsWith('multipart/mixed')) {
      const inner = boundaryOf(type);
      if (!inner) throw new SimError(400, '/IWBEP/CM_MGW_RT/031', 'Batch: changeset without boundary');
      const requests = split(rest, inner).map(embedded);
      for (const r of requests) {
        if (r.method === 'GET')
          throw new SimError(400, '/IWBEP/CM_MGW_RT/031', 'Batch: GET is not allowed in a changeset');
      }
      return { kind: 'changeset', requests };
    }
    const request = embedded(part);
    if (request.method !== 'GET') {
      throw new SimError(400, '/IWBEP/CM_MGW_RT/031', `Batch: ${request.method} outside a changeset is not allowed`);
    }
    return { kind: 'query', request };
  });
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

function httpPart(response: EmbeddedResponse, contentId?: string): string[] {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Status'}`);
  const headers = { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) };
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push('', response.body);
  return lines;
}

export type BatchAnswer =
  | { kind: 'query'; response: EmbeddedResponse }
  | { kind: 'changeset'; responses: EmbeddedResponse[]; contentIds: (string | undefined)[] }
  | { kind: 'failed-changeset'; response: EmbeddedResponse };

export function writeBatch(answers: BatchAnswer[]): { contentType: string; body: string } {
  const boundary = `batch_${randomUUID()}`;
  const lines: string[] = [];
  for (const answer of answers) {
    lines.push(`--${boundary}`);
    if (answer.kind === 'changeset') {
      const changeset = `changeset_${randomUUID()}`;
      lines.push(`Content-Type: multipart/mixed; boundary=${changeset}`, '');
      for (const [index, response] of answer.responses.entries()) {
        lines.push(`--${changeset}`, ...httpPart(response, answer.contentIds[index]));
      }
      lines.push(`--${changeset}--`, '');
    } else lines.push(...httpPart(answer.response));
  }
  lines.push(`--${boundary}--`, '');
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: lines.join(CRLF) };
}
