// The neutral QMS REST API (PlantGraph QMS profile v1, documented in the package README) as the connector
// uses it: a bearer key, JSON, keyset paging (`limit`, `cursor` in; `nextCursor` out, null on the last
// page), nonconformance records with an `externalReference` field for the hub's idempotency key, and lot
// dispositions (hold, release, reject) decided in the QMS. Failures are classified by `restJson`.

import { ConnectorError, restJson } from '@plantgraph/connector-sdk';

export interface QmsClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/** A measured value as the nonconformance carries it: the value and the limits it broke. */
export interface NonconformanceValue {
  parameter: string;
  value: number;
  lowerLimit: number | null;
  upperLimit: number | null;
  withinTolerance: boolean;
}

export interface NewNonconformance {
  /** The hub's idempotency key: unique per delivery, read back after a lost answer. */
  externalReference: string;
  title: string;
  description: string;
  /** The hub's deviation kind (OutOfTolerance, Material, …). */
  category: string;
  severity: 'Minor' | 'Major' | 'Critical';
  source: { system: 'plantgraph'; deviationId: string; link: string };
  lot: string | null;
  order: string | null;
  step: string | null;
  equipment: string | null;
  values: NonconformanceValue[];
  detectedAt: string;
  detectedBy: string;
}

export interface Capa {
  reference: string;
  status: 'Open' | 'Closed' | (string & {});
  closedAt: string | null;
  closure: string | null;
}

export interface Nonconformance extends Omit<NewNonconformance, 'source'> {
  id: string;
  /** The QMS's own number, e.g. `NC-2026-0042`. */
  number: string;
  status: 'Open' | 'Investigation' | 'Closed' | 'Cancelled' | (string & {});
  source: { system: string; deviationId: string; link?: string } | null;
  closedAt: string | null;
  closure: string | null;
  capa: Capa | null;
  updatedAt: string;
}

export type Decision = 'Hold' | 'Release' | 'Reject';

export interface LotDisposition {
  id: string;
  lotNumber: string;
  decision: Decision | (string & {});
  reason: string;
  decidedBy: string;
  decidedAt: string;
  /** The QMS's electronic signature of the decision, when it keeps one. */
  signature: { signer: string; meaning: string; signedAt: string } | null;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class QmsClient {
  constructor(private readonly options: QmsClientOptions) {}

  /** One page of nonconformances changed at or after `updatedSince` (oldest change first), or by reference. */
  listNonconformances(query: {
    updatedSince?: string;
    externalReference?: string;
    cursor?: string | null;
    limit: number;
  }) {
    return this.call<Page<Nonconformance>>('GET', `/nonconformances?${params(query)}`);
  }

  /** One nonconformance, or null when the QMS has none with that id. */
  getNonconformance(id: string) {
    return this.orNull(this.call<Nonconformance>('GET', `/nonconformances/${encodeURIComponent(id)}`));
  }

  createNonconformance(record: NewNonconformance) {
    return this.call<Nonconformance>('POST', '/nonconformances', record);
  }

  /** One page of lot dispositions changed at or after `updatedSince`, oldest change first. */
  listDispositions(query: { updatedSince?: string; cursor?: string | null; limit: number }) {
    return this.call<Page<LotDisposition>>('GET', `/lot-dispositions?${params(query)}`);
  }

  getDisposition(id: string) {
    return this.orNull(this.call<LotDisposition>('GET', `/lot-dispositions/${encodeURIComponent(id)}`));
  }

  /** A real round trip: one nonconformance listed with the key. */
  async testConnection(): Promise<{ roundTripMs: number; detail: string }> {
    const started = performance.now();
    await this.call('GET', '/nonconformances?limit=1');
    return { roundTripMs: Math.round(performance.now() - started), detail: 'The QMS answered with the API key' };
  }

  private async orNull<T>(answer: Promise<T>): Promise<T | null> {
    try {
      return await answer;
    } catch (error) {
      if (error instanceof ConnectorError && error.kind === 'permanent' && / 404/.test(error.message)) return null;
      throw error;
    }
  }

  private call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return restJson<T>({
      system: 'QMS',
      baseUrl: this.options.baseUrl,
      method,
      path,
      body,
      headers: { authorization: `Bearer ${this.options.apiKey}` },
      timeoutMs: this.options.timeoutMs,
      authHint: "check the connector's apiKey",
    });
  }
}

function params(query: Record<string, string | number | null | undefined>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value != null && value !== '') out.set(name, String(value));
  return out;
}
