// Where a poll of one QMS list goes on: records changed at or after `since` (their `updatedAt`), `page` the
// QMS's cursor inside that query, `high` the newest change seen in it so far, and `done` the ids already
// taken at `since` exactly, so a boundary record is not taken twice and a record changed again is.

import type { Page } from './client.js';

export interface FeedCursor {
  since: string | null;
  page: string | null;
  high: string | null;
  done: string[];
}

export const START: FeedCursor = { since: null, page: null, high: null, done: [] };

/** The records of a page not yet taken. */
export function fresh<T extends { id: string; updatedAt: string }>(at: FeedCursor, page: Page<T>): T[] {
  return page.items.filter((r) => !(r.updatedAt === at.since && at.done.includes(r.id)));
}

/** Where the next poll starts after `page`, and whether the QMS has more pages now. */
export function advance<T extends { id: string; updatedAt: string }>(at: FeedCursor, page: Page<T>) {
  let high = at.high;
  for (const r of page.items) if (!high || r.updatedAt > high) high = r.updatedAt;
  if (page.nextCursor !== null) return { cursor: { ...at, page: page.nextCursor, high }, more: true };
  const since = high ?? at.since;
  const done = page.items.filter((r) => r.updatedAt === since).map((r) => r.id);
  // Records at `since` taken on earlier pages of this query stay taken.
  const kept = since === at.since ? at.done : [];
  return { cursor: { since, page: null, high: null, done: [...new Set([...kept, ...done])] }, more: false };
}
