import type { ScheduleEntry, ScheduleEntryKind } from '@plantgraph/schema';
import { storedFields, type Work } from '../../core/unit-of-work.js';
import type { Subjects } from '../../subjects.js';

/** A change of the production schedule, as delivered to subscribers. */
export interface ScheduleChange {
  /** ScheduleEntryPlaced, ScheduleEntryMoved or ScheduleEntryRemoved. */
  type: string;
  entryId: string;
  kind: ScheduleEntryKind;
  orderNumber: string | null;
  /** Path of the unit (or line) the entry holds. */
  path: string;
  start: Date;
  end: Date;
  at: Date;
  actor: string;
}

/** Audits a change of an entry and announces it on its unit's subject, after commit. */
export function scheduleChanged(
  work: Work,
  subjects: Subjects,
  type: string,
  entry: ScheduleEntry & { unit: { path: string } },
  before?: unknown,
): void {
  // Its unit and order are populated; the audit names them by id (`storedFields`), as a plain snapshot does.
  work.audit(type, entry, before, undefined, storedFields(entry));
  work.emit({
    subject: subjects.scheduleChanged(entry.unit.path),
    type,
    data: {
      entryId: entry.id,
      kind: entry.kind,
      orderNumber: entry.orderNumber ?? null,
      path: entry.unit.path,
      start: entry.start.toISOString(),
      end: entry.end.toISOString(),
      at: new Date().toISOString(),
      actor: work.actor,
    },
  });
}
