import { Permission } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { decodeCursor, encodeCursor, readEvents, retainedRange } from '../../core/event-outbox.js';
import { cursorExpired } from '../../core/faults.js';
import { isEquipmentPath } from '../../core/keys.js';
import type { Principal } from '../../core/principal.js';
import type { HubEventValue } from './signals.service.js';

/** Outbox rows read per round, and rounds per call: a call reads at most 10,000 events. */
const SCAN = 1000;
const ROUNDS = 10;

/** One page of the event log and where to read on from. */
export interface HubEventLogPage {
  events: HubEventValue[];
  /** The position after everything this call looked at, matching or not: the next call's `after`. */
  endCursor: string;
  /** More events were kept after `endCursor` when the call stopped. */
  hasMore: boolean;
}

/**
 * An event as a reader at `scope` of the given types may see it, or null. Events about no equipment
 * (master data) are for enterprise-wide readers only; those of the installation's own records
 * (`scope: "*"`: API keys, flows) for installation-wide ones. Shared by `hubEvents` and `hubEventLog`.
 */
export function visibleEvent(
  principal: Principal,
  subject: string,
  data: Record<string, unknown>,
  wanted: ReadonlySet<string> | null,
): HubEventValue | null {
  const type = typeof data.type === 'string' ? data.type : 'Unknown';
  const path = typeof data.path === 'string' && isEquipmentPath(data.path) ? data.path : null;
  const visible = path
    ? principal.can(Permission.Read, path)
    : data.scope === '*'
      ? principal.scopesFor(Permission.Read).includes('*')
      : principal.canEnterpriseWide(Permission.Read);
  if (!visible || (wanted && !wanted.has(type))) return null;
  return { subject, type, path, data, cursor: typeof data.cursor === 'string' ? data.cursor : null };
}

const withinScope = (scope: string, path: string | null): boolean =>
  scope === '*' || (path !== null && (path === scope || path.startsWith(`${scope}/`)));

/**
 * The hub's events after a cursor, read from the outbox by plain request: for clients that poll
 * (n8n's polling trigger, cron jobs) instead of holding a subscription open. The same events, order
 * and cursors as `hubEvents`; without `after` nothing but the current position (as a subscription
 * without `after` starts live). A cursor older than what is kept fails like a resuming subscription.
 */
export async function readEventLog(
  em: Tx,
  principal: Principal,
  scope: string,
  types: string[] | null,
  after: string | null,
  first: number,
): Promise<HubEventLogPage> {
  const { oldest, newest } = await retainedRange(em);
  if (after === null) return { events: [], endCursor: encodeCursor(newest), hasMore: false };
  let position = decodeCursor(after);
  if (position + 1 < oldest || position > newest) throw cursorExpired(encodeCursor(oldest - 1));
  const wanted = types?.length ? new Set(types) : null;
  const events: HubEventValue[] = [];
  for (let round = 0; round < ROUNDS && events.length < first; round++) {
    const rows = await readEvents(em, position, SCAN);
    for (const row of rows) {
      position = row.seq;
      const data = { ...row.data, seq: row.seq, cursor: encodeCursor(row.seq) };
      const event = visibleEvent(principal, row.subject, data, wanted);
      if (event && withinScope(scope, event.path)) events.push(event);
      if (events.length === first) break;
    }
    if (rows.length < SCAN) break;
  }
  return { events, endCursor: encodeCursor(position), hasMore: position < newest };
}
