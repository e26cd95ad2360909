import {
  type ClosePlannedReceiptInput,
  Equipment,
  MaterialDefinition,
  Permission,
  Person,
  PlannedReceipt,
  type RecordPlannedReceiptInput,
  type RemoveShiftAssignmentInput,
  type RosterShiftInput,
  ShiftAssignment,
  ShiftCalendar,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { snapshot, storedFields, type UnitOfWork } from '../../core/unit-of-work.js';
import { requireAt } from '../../core/visibility.js';
import { checkKey, checkQuantity, checkText, isUuid, likePrefix } from '../../core/keys.js';
import { fail, invalidInput, keyTaken, notFound } from '../../core/failures.js';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** W works, - off; up to eight weeks, the longest rotations plants run (e.g. a 28-day Panama cycle). */
const CREW_PATTERN = /^[W-]{1,56}$/;

function checkDate(field: string, value: string): void {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!LOCAL_DATE.test(value) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
    fail(invalidInput(field, 'give a local date as YYYY-MM-DD.'));
}

/**
 * What the schedule counts beyond the equipment (ADR 0048): who works which shift of a calendar
 * (the shift roster), and material expected to arrive (planned receipts). Both are planners' data:
 * managed with PlanWorkOrders where they apply, audited, read where the caller may read.
 */
export class SchedulingResourcesService {
  constructor(private readonly uow: UnitOfWork) {}

  rosterShift(principal: Principal, input: RosterShiftInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const hidden = () => notFound('shift calendar', input.scope);
      const calendar = (await tx.findOne(ShiftCalendar, { scope: input.scope })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, calendar.scope, hidden);
      const shifts = calendar.shifts.map((s) => s.name);
      if (!shifts.includes(input.shift))
        fail(invalidInput('shift', `${calendar.scope}'s calendar has the shifts ${shifts.join(', ')}.`));
      checkDate('validFrom', input.validFrom);
      if (input.validUntil != null) {
        checkDate('validUntil', input.validUntil);
        if (input.validUntil < input.validFrom) fail(invalidInput('validUntil', 'must not be before validFrom.'));
      }
      const pattern = input.pattern?.trim() || null;
      if (pattern !== null && !(CREW_PATTERN.test(pattern) && pattern.includes('W')))
        fail(invalidInput('pattern', 'one character a day, W works and - off (e.g. WWWW----), 1 to 56 days.'));
      const person = await tx.findOne(Person, { employeeId: input.employeeId, active: true });
      if (!person) fail(notFound('person', input.employeeId));
      const same = { scope: calendar.scope, shift: input.shift, employeeId: input.employeeId };
      if (await tx.count(ShiftAssignment, { ...same, validFrom: input.validFrom }))
        fail(keyTaken('shift assignment', `${input.employeeId} on ${input.shift} from ${input.validFrom}`));
      const assignment = tx.create(ShiftAssignment, {
        ...same,
        validFrom: input.validFrom,
        validUntil: input.validUntil ?? null,
        pattern,
      });
      work.audit('ShiftAssigned', assignment);
      return assignment;
    });
  }

  removeShiftAssignment(principal: Principal, input: RemoveShiftAssignmentInput) {
    return this.uow.run(principal.name, async (work) => {
      const hidden = () => notFound('shift assignment', input.id);
      if (!isUuid(input.id)) fail(hidden());
      const assignment = (await work.tx.findOne(ShiftAssignment, { id: input.id })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, assignment.scope, hidden);
      work.audit('ShiftAssignmentRemoved', assignment, storedFields(assignment));
      work.tx.remove(assignment);
      return assignment;
    });
  }

  /** The roster of the calendar at `scope` (and calendars under it) that the caller may read. */
  async roster(tx: Tx, principal: Principal, scope: string) {
    const rows = await tx.find(
      ShiftAssignment,
      { $or: [{ scope }, { scope: { $like: likePrefix(`${scope}/`) } }] },
      { orderBy: { scope: 'asc', shift: 'asc', employeeId: 'asc', validFrom: 'asc' } },
    );
    return rows.filter((r) => principal.can(Permission.Read, r.scope));
  }

  recordPlannedReceipt(principal: Principal, input: RecordPlannedReceiptInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('reference', input.reference);
      checkQuantity('quantity', input.quantity);
      if (!(input.quantity > 0)) fail(invalidInput('quantity', 'must be more than 0.'));
      const hidden = () => notFound('equipment', input.location);
      const location = (await tx.findOne(Equipment, { path: input.location })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, location.path, hidden);
      const material =
        (await tx.findOne(MaterialDefinition, { code: input.material })) ??
        fail(notFound('material definition', input.material));
      const had = await tx.findOne(PlannedReceipt, { reference: input.reference });
      if (had) {
        requireAt(principal, Permission.PlanWorkOrders, had.location, () => keyTaken('reference', input.reference));
        if (had.closedAt) fail(invalidInput('reference', `${had.reference} is closed; record a new reference.`));
      }
      const before = had ? snapshot(had) : undefined;
      const fields = {
        reference: input.reference,
        material: material.code,
        quantity: input.quantity,
        unitOfMeasure: material.unitOfMeasure,
        expectedAt: input.expectedAt,
        location: location.path,
      };
      const saved = had ? Object.assign(had, fields) : tx.create(PlannedReceipt, fields);
      work.audit(had ? 'PlannedReceiptChanged' : 'PlannedReceiptRecorded', saved, before);
      return saved;
    });
  }

  closePlannedReceipt(principal: Principal, input: ClosePlannedReceiptInput) {
    return this.uow.run(principal.name, async (work) => {
      checkText('reason', input.reason, 1000);
      const hidden = () => notFound('planned receipt', input.reference);
      const receipt = (await work.tx.findOne(PlannedReceipt, { reference: input.reference })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, receipt.location, hidden);
      if (receipt.closedAt) fail(invalidInput('reference', `${receipt.reference} is already closed.`));
      const before = snapshot(receipt);
      Object.assign(receipt, { closedAt: new Date(), closeReason: input.reason.trim() });
      work.audit('PlannedReceiptClosed', receipt, before, input.reason);
      return receipt;
    });
  }

  /** Open planned receipts the caller may read, by expected date. */
  async plannedReceipts(tx: Tx, principal: Principal, material: string | null | undefined) {
    const rows = await tx.find(
      PlannedReceipt,
      { closedAt: null, ...(material ? { material } : {}) },
      { orderBy: { expectedAt: 'asc', reference: 'asc' }, limit: 1000 },
    );
    return rows.filter((r) => principal.can(Permission.Read, r.location));
  }
}
