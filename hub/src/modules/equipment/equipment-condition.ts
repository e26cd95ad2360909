import { LockMode } from '@mikro-orm/core';
import {
  BLOCKING_CONDITIONS,
  CONDITION_KIND,
  type ClearEquipmentConditionInput,
  conditionAt,
  Equipment,
  EquipmentCondition,
  EquipmentConditionRecord,
  governingRecord,
  Permission,
  type RecordEquipmentConditionInput,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { EventSource } from '../../core/event-feed.js';
import { checkKey, checkPath, checkText, isUuid } from '../../core/keys.js';
import type { Principal } from '../../core/principal.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { requireAt } from '../../core/visibility.js';
import { fail, invalidInput, isFailure, notFound } from '../../core/failures.js';
import { startPeriodic } from '../../core/periodic.js';

/** A change of an equipment's maintenance or calibration condition, as delivered to subscribers. */
export interface EquipmentConditionChange {
  /** EquipmentConditionRecorded, EquipmentConditionUpdated, EquipmentConditionCleared, EquipmentCalibrationOverdue. */
  type: string;
  path: string;
  /** The equipment's condition after the change, and before it. */
  condition: EquipmentCondition;
  previousCondition: EquipmentCondition;
  /** Whether the condition after the change holds the interlock. */
  blocking: boolean;
  /** The record that changed (for an overdue calibration: the one that fell due). */
  recordId: string | null;
  reason: string | null;
  at: string;
  actor: string;
}

/** The condition of an equipment row as of `now` (its summary may hold a calibration that has since fallen due). */
export const conditionOf = (equipment: Equipment, now = new Date()): EquipmentCondition =>
  conditionAt({ condition: equipment.condition, dueAt: equipment.conditionDueAt }, now);

/** When the equipment entered the condition it shows `now`. */
export function conditionSinceOf(equipment: Equipment, now = new Date()): Date | null {
  const overdue = equipment.condition === EquipmentCondition.CalibrationDue && conditionOf(equipment, now);
  return overdue === EquipmentCondition.CalibrationOverdue
    ? equipment.conditionDueAt!
    : (equipment.conditionSince ?? null);
}

/** Why the equipment may not be used now (release and step start say so), or null when it may. */
export function conditionBlock(equipment: Equipment, now = new Date()): string | null {
  const condition = conditionOf(equipment, now);
  if (!BLOCKING_CONDITIONS.has(condition)) return null;
  const since = conditionSinceOf(equipment, now);
  return `${equipment.path} is ${condition} (${equipment.conditionReason}; recorded by ${equipment.conditionSetBy}${since ? ` since ${since.toISOString()}` : ''}); maintenance must clear it first.`;
}

/**
 * The maintenance and calibration condition of equipment (ADR 0016): records opened and cleared by
 * people or connectors holding MaintainEquipment, summed up on the equipment row by one writer
 * (`settle`), audited, and announced through the outbox. The run state's writer never touches it.
 */
export class EquipmentConditionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  record(principal: Principal, input: RecordEquipmentConditionInput) {
    return this.uow.run(principal.name, (work) => this.recordIn(work, principal, input));
  }

  /**
   * Opens (or updates, by its external reference) a record within a command already running: the
   * one way in for people, connectors and maintenance orders. `authorised`: the caller's command
   * checked its own permission (a maintenance order's sign-off is signed, not MaintainEquipment).
   */
  async recordIn(work: Work, principal: Principal, input: RecordEquipmentConditionInput, authorised = false) {
    const { tx } = work;
    checkPath('path', input.path);
    const equipment = await lockedEquipment(tx, input.path);
    if (!authorised)
      requireAt(principal, Permission.MaintainEquipment, input.path, () => notFound('equipment', input.path));
    if (input.condition === EquipmentCondition.Available)
      fail(
        invalidInput(
          'condition',
          'Available is what remains when no record holds the equipment; clear the records instead (clearEquipmentCondition).',
        ),
      );
    checkText('reason', input.reason, 1000);
    if (input.externalReference != null) checkKey('externalReference', input.externalReference);
    if (input.dueAt && Number.isNaN(input.dueAt.getTime())) fail(invalidInput('dueAt', 'must be a valid time.'));
    const now = new Date();
    const existing = input.externalReference
      ? await tx.findOne(EquipmentConditionRecord, { externalReference: input.externalReference })
      : null;
    // A calibration without a date is due now (it holds the interlock at once); sent again, it keeps its date.
    const dueAt =
      input.dueAt ??
      (input.condition !== EquipmentCondition.CalibrationDue
        ? null
        : existing?.recordedCondition === input.condition
          ? (existing.dueAt ?? now)
          : now);
    const wanted = {
      kind: CONDITION_KIND[input.condition],
      recordedCondition: input.condition,
      reason: input.reason.trim(),
      dueAt,
    };
    if (existing) {
      if (existing.equipment.id !== equipment.id)
        fail(
          invalidInput(
            'externalReference',
            `"${input.externalReference}" already names a record of other equipment; give each record its own reference.`,
          ),
        );
      // Sent again (a connector's retry, or after the record was cleared): nothing changes.
      if (existing.clearedAt || sameRecord(existing, wanted)) return existing;
      const before = snapshot(existing);
      Object.assign(existing, wanted);
      work.audit('EquipmentConditionUpdated', existing, before, wanted.reason);
      await this.settle(work, equipment, 'EquipmentConditionUpdated', existing, now);
      return existing;
    }
    const record = tx.create(EquipmentConditionRecord, {
      ...wanted,
      equipment,
      externalReference: input.externalReference ?? null,
      recordedBy: principal.name,
      recordedAt: now,
    });
    work.audit('EquipmentConditionRecorded', record, null, wanted.reason);
    await this.settle(work, equipment, 'EquipmentConditionRecorded', record, now);
    return record;
  }

  clear(principal: Principal, input: ClearEquipmentConditionInput) {
    return this.uow.run(principal.name, (work) => this.clearIn(work, principal, input));
  }

  /** Clears a record within a command already running (see `recordIn`). */
  async clearIn(work: Work, principal: Principal, input: ClearEquipmentConditionInput, authorised = false) {
    const { tx } = work;
    if ((input.id == null) === (input.externalReference == null))
      fail(invalidInput('id', 'give either the id or the external reference of the record to clear.'));
    const key = (input.id ?? input.externalReference)!;
    const hidden = () => notFound('equipment condition record', key);
    if (input.id != null && !isUuid(input.id)) fail(hidden());
    const found =
      (await tx.findOne(
        EquipmentConditionRecord,
        input.id != null ? { id: input.id } : { externalReference: input.externalReference },
        { populate: ['equipment'] },
      )) ?? fail(hidden());
    const equipment = await lockedEquipment(tx, found.equipment.path);
    if (!authorised) requireAt(principal, Permission.MaintainEquipment, equipment.path, hidden);
    checkText('clearance', input.clearance, 1000);
    if (found.clearedAt) return found; // cleared before: a retry changes nothing
    const before = snapshot(found);
    const now = new Date();
    Object.assign(found, { clearedBy: principal.name, clearedAt: now, clearance: input.clearance.trim() });
    work.audit('EquipmentConditionCleared', found, before, found.clearance);
    await this.settle(work, equipment, 'EquipmentConditionCleared', found, now);
    return found;
  }

  /**
   * Calibrations that have fallen due since their equipment's summary was written: each becomes
   * CalibrationOverdue, audited and announced. Run by every replica; the row lock lets one do each.
   */
  async markOverdue(): Promise<number> {
    const done = await this.uow.run('system:equipment-conditions', async (work) => {
      const now = new Date();
      const due = await work.tx.find(
        Equipment,
        { condition: EquipmentCondition.CalibrationDue, conditionDueAt: { $lte: now } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { path: 'asc' } },
      );
      // Subscribers last heard CalibrationDue: that is the condition the change is from.
      for (const equipment of due)
        await this.settle(work, equipment, 'EquipmentCalibrationOverdue', null, now, equipment.condition);
      return due.length;
    });
    return isFailure(done) ? 0 : done;
  }

  /** Live condition changes at `scope` and below, from every hub replica. */
  subscribeChanges(principal: Principal, scope: string, stream: StreamOptions = {}) {
    return scopedSubscription<EquipmentConditionChange, EquipmentConditionChange>(this.events, principal, scope, {
      patterns: (s) => this.events.subjects.equipmentConditionChangedScope(s),
      what: 'equipment conditions',
      toValue: (e) => e,
      stream,
    });
  }

  /**
   * The one writer of an equipment's condition summary: sums up its open records as of `now`,
   * audits the equipment when that changes, and announces the change (`type`) in the outbox.
   */
  private async settle(
    work: Work,
    equipment: Equipment,
    type: string,
    record: EquipmentConditionRecord | null,
    now: Date,
    previousCondition = conditionOf(equipment, now),
  ): Promise<void> {
    const { tx } = work;
    await tx.flush();
    const open = await tx.find(EquipmentConditionRecord, { equipment, clearedAt: null });
    const governing = governingRecord(
      open.map((r) => ({ condition: r.recordedCondition, dueAt: r.dueAt, record: r })),
      now,
    );
    const before = snapshot(equipment);
    const held = governing ? conditionAt(governing, now) : EquipmentCondition.Available;
    const next = {
      condition: held,
      conditionReason: governing?.record.reason ?? null,
      conditionSetBy: governing?.record.recordedBy ?? null,
      conditionDueAt: governing?.record.dueAt ?? null,
      conditionSince:
        held === EquipmentCondition.CalibrationOverdue && governing?.dueAt
          ? governing.dueAt
          : (governing?.record.recordedAt ?? now),
    };
    const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => !same(equipment[k], next[k]));
    if (changed) {
      Object.assign(equipment, next);
      work.audit('EquipmentConditionChanged', equipment, before, next.conditionReason);
    }
    const data: EquipmentConditionChange = {
      type,
      path: equipment.path,
      condition: held,
      previousCondition,
      blocking: BLOCKING_CONDITIONS.has(held),
      recordId: record?.id ?? governing?.record.id ?? null,
      reason: record?.clearance ?? record?.reason ?? next.conditionReason,
      at: now.toISOString(),
      actor: work.actor,
    };
    work.emit({ subject: this.events.subjects.equipmentConditionChanged(equipment.path), type, data: { ...data } });
  }
}

/** The equipment, locked for the command so its records and summary change one command at a time. */
async function lockedEquipment(tx: Tx, path: string): Promise<Equipment> {
  return (
    (await tx.findOne(Equipment, { path }, { lockMode: LockMode.PESSIMISTIC_WRITE })) ??
    fail(notFound('equipment', path))
  );
}

const same = (a: unknown, b: unknown) =>
  a instanceof Date || b instanceof Date
    ? (a as Date | null)?.getTime?.() === (b as Date | null)?.getTime?.()
    : (a ?? null) === (b ?? null);

function sameRecord(
  r: EquipmentConditionRecord,
  wanted: { recordedCondition: EquipmentCondition; reason: string; dueAt: Date | null },
): boolean {
  return (
    r.recordedCondition === wanted.recordedCondition &&
    r.reason === wanted.reason &&
    same(r.dueAt ?? null, wanted.dueAt)
  );
}

/** Starts the check that turns calibrations falling due into CalibrationOverdue; returns its stop function. */
export function startConditionCheck(service: EquipmentConditionService, everyMs: number): { stop(): Promise<void> } {
  return startPeriodic('[equipment] condition check', everyMs, () => service.markOverdue());
}
