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
}

export class HubFault extends Error {
  constructor(
    readonly code: FaultCode,
    message: string,
  ) {
    super(message);
    this.name = `HubFault(${code})`;
  }
}

export const badUserInput = (message: string): HubFault => new HubFault(FaultCode.BadUserInput, message);
export const unauthenticated = (message: string): HubFault => new HubFault(FaultCode.Unauthenticated, message);
