// Faults a test injects, each for a number of matching requests:
// - before processing: a status (5xx, 429 with Retry-After, 401 ...), or a reset with nothing applied;
// - after processing, with the change committed: a reset, or no answer at all (the client times out);
// - business errors: the next N confirmation posts are refused with a 400 (inside $batch too).

export type ServiceName = 'production-order' | 'confirmation';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'reset-before-commit' }
  | { kind: 'reset-after-commit' }
  | { kind: 'hang-after-commit' }
  | { kind: 'business-error'; code?: string; message?: string };

export interface FaultMatch {
  method?: string;
  service?: ServiceName;
  /** First path segment without key: "ProdnOrdConf2", "$batch", "CancelProdnOrdConf", "A_ProductionOrder_2". */
  resource?: string;
}

export interface FaultOptions {
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** Default: every request except CSRF token fetches (business errors: confirmation posts). */
  match?: FaultMatch;
}

interface Armed {
  fault: Fault;
  remaining: number;
  match: FaultMatch;
}

export interface RequestFacts {
  method: string;
  service: ServiceName;
  resource: string;
  csrfFetch: boolean;
}

export class FaultPlan {
  private armed: Armed[] = [];
  latencyMs = 0;
  triggered = 0;

  inject(fault: Fault, options: FaultOptions = {}): void {
    this.armed.push({ fault, remaining: options.times ?? 1, match: options.match ?? {} });
  }

  clear(): void {
    this.armed = [];
    this.latencyMs = 0;
  }

  get pending(): number {
    return this.armed.reduce((sum, a) => sum + a.remaining, 0);
  }

  /** The transport-level fault for this request, if one is armed for it (consumed). */
  takeTransportFault(facts: RequestFacts): Exclude<Fault, { kind: 'business-error' }> | undefined {
    if (facts.csrfFetch) return undefined;
    const found = this.armed.find((a) => a.fault.kind !== 'business-error' && matches(a.match, facts));
    return found ? (this.consume(found) as Exclude<Fault, { kind: 'business-error' }>) : undefined;
  }

  /** A business error for a confirmation post, if one is armed (consumed). */
  takeBusinessError(): { code: string; message: string } | undefined {
    const found = this.armed.find((a) => a.fault.kind === 'business-error');
    if (found?.fault.kind !== 'business-error') return undefined;
    const { code, message } = found.fault;
    this.consume(found);
    return { code: code ?? 'ZSIM_PP/099', message: message ?? 'Confirmation refused by an injected business error' };
  }

  private consume(armed: Armed): Fault {
    armed.remaining--;
    this.triggered++;
    if (armed.remaining <= 0) this.armed.splice(this.armed.indexOf(armed), 1);
    return armed.fault;
  }
}

function matches(match: FaultMatch, facts: RequestFacts): boolean {
  return (
    (match.method === undefined || match.method.toUpperCase() === facts.method) &&
    (match.service === undefined || match.service === facts.service) &&
    (match.resource === undefined || match.resource === facts.resource)
  );
}
