/**
 * Faults: requests the hub refuses outright (as opposed to expected failures, which are results).
 * Transport adapters map each code to their own form (GraphQL error codes, HTTP statuses, WebSocket
 * close codes); nothing below the adapters knows those forms.
 */
export enum FaultCode {
  /** No usable credential: the caller must authenticate (again). */
  Unauthenticated = 'Unauthenticated',
  /** The caller is known but holds no grant for this act. */
  Forbidden = 'Forbidden',
  /** An argument is malformed in a way the schema cannot express (a page size, a cursor, a scope). */
  BadUserInput = 'BadUserInput',
  /** The event bus is unreachable: live events cannot be delivered; resume later with the cursor. */
  EventsUnavailable = 'EventsUnavailable',
  /** A resume cursor older than the events kept. */
  CursorExpired = 'CursorExpired',
}

export class HubFault extends Error {
  constructor(
    readonly code: FaultCode,
    message: string,
    /** Facts for the client to act on (e.g. the cursor to resume from). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = `HubFault(${code})`;
  }
}

export const badUserInput = (message: string): HubFault => new HubFault(FaultCode.BadUserInput, message);
export const unauthenticated = (message: string): HubFault => new HubFault(FaultCode.Unauthenticated, message);
export const eventsUnavailable = (cursor: string | null): HubFault =>
  new HubFault(
    FaultCode.EventsUnavailable,
    'The event bus is unreachable, so live events cannot be delivered now. Subscribe again in a few seconds' +
      (cursor ? ' with `after` set to the cursor in this error to receive what you missed.' : '.'),
    { cursor },
  );
export const cursorExpired = (oldestCursor: string): HubFault =>
  new HubFault(
    FaultCode.CursorExpired,
    'The cursor is older than the events kept; subscribe without `after` (or from the oldest kept event, ' +
      'in this error) and reload current state by query.',
    { oldestCursor },
  );
