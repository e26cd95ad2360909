// What the simulated QMS holds: nonconformance records (numbered NC-<year>-<n>, with status, closure and a
// CAPA) and lot dispositions (Hold, Release, Reject with reason, decider and signature). Every change moves
// `updatedAt` forward, never twice the same millisecond, so a poll by `updatedAt` sees each change. Like
// many systems it does not refuse a second record with the same `externalReference`: the client must not
// send one.

export interface SimCapa {
  reference: string;
  status: 'Open' | 'Closed';
  closedAt: string | null;
  closure: string | null;
}

export interface SimNonconformance {
  id: string;
  number: string;
  status: 'Open' | 'Investigation' | 'Closed' | 'Cancelled';
  externalReference: string | null;
  title: string;
  description: string;
  category: string;
  severity: string;
  source: { system: string; deviationId: string; link?: string } | null;
  lot: string | null;
  order: string | null;
  step: string | null;
  equipment: string | null;
  values: { parameter: string; value: number; lowerLimit: number | null; upperLimit: number | null }[];
  detectedAt: string | null;
  detectedBy: string | null;
  closedAt: string | null;
  closure: string | null;
  capa: SimCapa | null;
  createdAt: string;
  updatedAt: string;
}

export interface SimDisposition {
  id: string;
  lotNumber: string;
  decision: string;
  reason: string;
  decidedBy: string;
  decidedAt: string;
  signature: { signer: string; meaning: string; signedAt: string } | null;
  updatedAt: string;
}

export type NewNonconformance = Partial<Omit<SimNonconformance, 'id' | 'number' | 'createdAt' | 'updatedAt'>> & {
  title: string;
};

export class QmsStore {
  readonly nonconformances = new Map<string, SimNonconformance>();
  readonly dispositions = new Map<string, SimDisposition>();
  private next = 0;
  private lastStamp = 0;

  stamp(): string {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  createNonconformance(input: NewNonconformance): SimNonconformance {
    const at = this.stamp();
    const n = ++this.next;
    const record: SimNonconformance = {
      status: 'Open',
      externalReference: null,
      description: '',
      category: 'Other',
      severity: 'Major',
      source: null,
      lot: null,
      order: null,
      step: null,
      equipment: null,
      values: [],
      detectedAt: null,
      detectedBy: null,
      closedAt: null,
      closure: null,
      capa: null,
      ...input,
      id: `nc-${n}`,
      number: `NC-${new Date(at).getUTCFullYear()}-${String(n).padStart(4, '0')}`,
      createdAt: at,
      updatedAt: at,
    };
    this.nonconformances.set(record.id, record);
    return record;
  }

  updateNonconformance(id: string, change: Partial<SimNonconformance>): SimNonconformance {
    const record = this.nonconformances.get(id);
    if (!record) throw new Error(`no nonconformance ${id}`);
    return Object.assign(record, change, { updatedAt: this.stamp() });
  }

  decide(input: Omit<SimDisposition, 'id' | 'updatedAt' | 'decidedAt'> & { decidedAt?: string }): SimDisposition {
    const at = this.stamp();
    const record = { ...input, id: `ld-${++this.next}`, decidedAt: input.decidedAt ?? at, updatedAt: at };
    this.dispositions.set(record.id, record);
    return record;
  }
}
