// Faults a test injects, each for a number of matching requests: a status before anything is applied
// (5xx, 429 with Retry-After, 401), or, after the change is committed, a reset or no answer at all (the
// client times out and cannot know whether its request was applied), or a slow commit: the request is
// taken, and the change committed and answered only `delayMs` later (a client with a shorter timeout has
// given up by then, and a read-back before the commit finds nothing).

export type Fault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; message?: string }
  | { kind: 'reset-after-commit' }
  | { kind: 'hang-after-commit' }
  | { kind: 'slow-commit'; delayMs: number };

export interface FaultMatch {
  method?: string;
  /** First path segment after the version (/v1), e.g. "workorders" or "nonconformances". */
  resource?: string;
}

export interface FaultOptions {
  /** How many matching requests it hits; default 1. */
  times?: number;
  match?: FaultMatch;
}

interface Armed {
  fault: Fault;
  remaining: number;
  match: FaultMatch;
}

export class FaultPlan {
  private armed: Armed[] = [];
  triggered = 0;

  inject(fault: Fault, options: FaultOptions = {}): void {
    this.armed.push({ fault, remaining: options.times ?? 1, match: options.match ?? {} });
  }

  clear(): void {
    this.armed = [];
  }

  get pending(): number {
    return this.armed.reduce((sum, a) => sum + a.remaining, 0);
  }

  /** The fault for this request, if one is armed for it (consumed). */
  take(method: string, resource: string): Fault | undefined {
    const found = this.armed.find(
      (a) =>
        (a.match.method === undefined || a.match.method.toUpperCase() === method) &&
        (a.match.resource === undefined || a.match.resource === resource),
    );
    if (!found) return undefined;
    found.remaining--;
    this.triggered++;
    if (found.remaining <= 0) this.armed.splice(this.armed.indexOf(found), 1);
    return found.fault;
  }
}
