// Deliveries whose previous attempt has an unknown outcome (a write sent, its answer lost: a timeout, a
// reset, a worker cut off). The external system may still be committing that write: a read-back by the
// key straight away finds nothing and the record is sent twice. So the next attempt is held until the
// connector's `unknownOutcomeWaitMs` has passed since the failure, then reads back, and only then sends
// (ADR 0061). The delivered row and the log say what the read-back found.

import type { ConnectorRuntime } from '@plantgraph/connector-sdk';
import type { ConnectorDelivery } from '@plantgraph/schema';
import type { HubLog } from '../../extensions.js';

/**
 * Waits out the rest of the connector's wait since `failedAt`; resolves with the time waited. Waiting in
 * the job (not a delayed retry) keeps the job's attempts and backoff as they are, and holds back this
 * connector's other deliveries a little, which suits a system slow enough to time out.
 */
export async function settleUnknownOutcome(
  log: HubLog,
  connector: string,
  runtime: Pick<ConnectorRuntime, 'unknownOutcomeWaitMs'>,
  delivery: ConnectorDelivery,
  failedAt: Date,
): Promise<number> {
  const waitMs = Math.max(0, runtime.unknownOutcomeWaitMs ?? 0);
  const remaining = Math.min(waitMs, failedAt.getTime() + waitMs - Date.now());
  if (!(remaining > 0)) return 0;
  log.log(
    `[connectors] ${connector}: delivery ${delivery.id} (${delivery.eventType} ${delivery.eventKey}): the ` +
      `outcome of the last attempt is unknown; reading it back by key in ${Math.ceil(remaining / 1000)} s`,
  );
  await new Promise((resolve) => setTimeout(resolve, remaining));
  return remaining;
}

/** How an unknown outcome was resolved, for the delivered row's `lastError` and the log. */
export function unknownOutcomeNote(
  connector: string,
  delivery: ConnectorDelivery,
  result: { externalReference: string | null; reconciled: boolean },
  waitedMs: number,
): string {
  const what = `${connector}: delivery ${delivery.id} (${delivery.eventType} ${delivery.eventKey})`;
  const after = waitedMs ? ` after waiting ${Math.ceil(waitedMs / 1000)} s` : '';
  return result.reconciled
    ? `${what}: the outcome of an earlier attempt was unknown; found by key${after} ` +
        `(${result.externalReference}), not sent again`
    : `${what}: the outcome of an earlier attempt was unknown; not found by key${after}, ` +
        `so sent again (${result.externalReference})`;
}
