import { ConnectorError } from '@plantgraph/connector-sdk';
import { SapError } from './odata/errors.js';

/** SAP's classified failures, in the SDK's terms, with SAP's own message for dead letters. */
export async function sap<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof SapError)) throw err;
    throw new ConnectorError({
      kind: err.kind,
      message: err.sapMessage ? `SAP: ${err.sapMessage}${err.sapCode ? ` (${err.sapCode})` : ''}` : err.message,
      retryAfterMs: err.retryAfterMs,
      externalMessage: err.sapMessage,
      cause: err,
    });
  }
}
