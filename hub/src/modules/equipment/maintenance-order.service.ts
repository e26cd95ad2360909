import { LockMode } from '@mikro-orm/core';
import {
  Equipment,
  EquipmentCondition,
  EquipmentConditionRecord,
  MAINTENANCE_ORDER_TRANSITIONS,
  MaintenanceOrder,
  MaintenanceOrderKind,
  MaintenanceOrderState,
  type MaintenanceOrderTransitionInput,
  type OpenMaintenanceOrderInput,
  Permission,
  type RecordEquipmentConditionInput,
  SignatureMeaning,
  SignedAct,
  type SignOffMaintenanceOrderInput,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { SignatureService } from '../../auth/signatures.js';
import { checkKey, checkPath, checkText } from '../../core/keys.js';
import type { Principal } from '../../core/principal.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { fail, invalidInput, invalidTransition, keyTaken, notFound } from '../../core/failures.js';
import type { EquipmentConditionService } from './equipment-condition.js';

const M = MaintenanceOrderState;
const K = MaintenanceOrderKind;

/** The condition record a maintenance order holds, by the key a CMMS would use for its own work order. */
export const maintenanceReference = (number: string) => `maintenance-order:${number}`;
/** The record of a signed-off calibration's next due date. */
export const nextDueReference = (number: string) => `maintenance-order:${number}:next-due`;

/**
 * What an order holds on its equipment in each open state, the same conditions a CMMS work order
 * maps to (connectors/cmms-maintainx): a repair holds the equipment at once; planned upkeep is a
 * warning until work starts; a calibration is due at its date (now when none) and is due now once
 * work starts. Nothing but sign-off (or cancelling) lifts it.
 */
function heldCondition(order: MaintenanceOrder): { condition: EquipmentCondition; dueAt: Date | null } {
  if (order.kind === K.Calibration)
    return { condition: EquipmentCondition.CalibrationDue, dueAt: order.startedAt ?? order.dueAt ?? null };
  if (order.kind === K.Preventive && order.state === M.Open)
    return { condition: EquipmentCondition.MaintenanceDue, dueAt: order.dueAt ?? null };
  return { condition: EquipmentCondition.UnderMaintenance, dueAt: null };
}

/**
 * Maintenance orders against an equipment asset (preventive, corrective, calibration): opened,
 * worked and completed by maintenance, signed off by someone else. Their hold on the equipment is
 * an equipment condition record written through `EquipmentConditionService` (ADR 0016), so the
 * interlock, its audit and its events are the ones a CMMS connector produces.
 */
export class MaintenanceOrderService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly conditions: EquipmentConditionService,
    private readonly signatures: SignatureService,
  ) {}

  get(tx: Tx, principal: Principal, number: string) {
    return tx.findOne(MaintenanceOrder, { $and: [{ number }, { equipment: pathsVisible(principal) }] });
  }

  list(tx: Tx, principal: Principal, equipment: string | null | undefined, open: boolean) {
    const where = [
      { equipment: pathsVisible(principal) },
      ...(equipment ? [{ equipment: { path: equipment } }] : []),
      ...(open ? [{ state: { $in: [M.Open, M.InProgress, M.Completed] } }] : []),
    ];
    return tx.find(MaintenanceOrder, { $and: where }, { orderBy: { createdAt: 'asc' }, limit: 500 });
  }

  open(principal: Principal, input: OpenMaintenanceOrderInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('number', input.number);
      checkPath('equipment', input.equipment);
      checkText('description', input.description, 2000);
      const hidden = () => notFound('equipment', input.equipment);
      const equipment = (await tx.findOne(Equipment, { path: input.equipment })) ?? fail(hidden());
      requireAt(principal, Permission.MaintainEquipment, equipment.path, hidden);
      if (input.plannedStart && input.plannedEnd && input.plannedEnd <= input.plannedStart)
        fail(invalidInput('plannedEnd', 'must be after plannedStart.'));
      if (await tx.count(MaintenanceOrder, { number: input.number }))
        fail(keyTaken('maintenance order number', input.number));
      const order = tx.create(MaintenanceOrder, {
        number: input.number,
        kind: input.kind,
        equipment,
        description: input.description.trim(),
        dueAt: input.dueAt ?? null,
        plannedStart: input.plannedStart ?? null,
        plannedEnd: input.plannedEnd ?? null,
        openedBy: principal.name,
      });
      work.changed('MaintenanceOrderOpened', order, order.number, null, order.description);
      await this.hold(work, principal, order);
      return order;
    });
  }

  start(principal: Principal, input: MaintenanceOrderTransitionInput) {
    return this.move(principal, input, M.InProgress, async (work, order) => {
      order.state = M.InProgress; // what the order holds from now on
      order.startedBy = principal.name;
      order.startedAt = new Date();
      await this.hold(work, principal, order);
    });
  }

  /** The technician is done; the equipment stays held until someone else signs the work off. */
  complete(principal: Principal, input: MaintenanceOrderTransitionInput) {
    return this.move(principal, input, M.Completed, async (_work, order) => {
      if (!input.reason?.trim()) fail(invalidInput('reason', 'say what was done (findings, parts, certificate).'));
      Object.assign(order, { completedBy: principal.name, completedAt: new Date(), workDone: input.reason.trim() });
    });
  }

  cancel(principal: Principal, input: MaintenanceOrderTransitionInput) {
    return this.move(principal, input, M.Cancelled, async (work, order) => {
      if (!input.reason?.trim()) fail(invalidInput('reason', 'say why the order is cancelled.'));
      await this.release(work, principal, order, `Maintenance order ${order.number} cancelled: ${input.reason}`);
    });
  }

  /**
   * Completed → SignedOff: a signature by someone holding Sign where the equipment is (Approval,
   * the quality unit, for a calibration) who neither started nor completed the work. Lifts the hold;
   * a calibration records when the equipment is next due, which replaces the due date before it.
   */
  signOff(principal: Principal, input: SignOffMaintenanceOrderInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await this.find(tx, principal, input.number, Permission.Sign);
      requireTransition(order, M.SignedOff);
      const calibration = order.kind === K.Calibration;
      const next = input.nextCalibrationDueAt ?? null;
      if (calibration && !(next && next.getTime() > Date.now()))
        fail(invalidInput('nextCalibrationDueAt', 'a calibration is signed off with the next due date, ahead of now.'));
      if (!calibration && next)
        fail(invalidInput('nextCalibrationDueAt', `only a calibration has a next due date (this is ${order.kind}).`));
      const workers = [order.startedBy, order.completedBy].filter((p): p is string => !!p?.startsWith('user:'));
      const signed = await this.signatures.sign(
        tx,
        'signature',
        input.signature,
        {
          act: SignedAct.MaintenanceSignOff,
          meaning: calibration ? SignatureMeaning.Approval : SignatureMeaning.Review,
          at: order.equipment.path,
          excluded: new Map(
            workers.map((w) => [w.slice('user:'.length), 'they did the work, and its sign-off is by someone else']),
          ),
        },
        'MaintenanceOrder',
        order,
      );
      const before = snapshot(order);
      Object.assign(order, { signedOffBy: signed.signer, signedOffAt: signed.signedAt, nextCalibrationDueAt: next });
      enter(work, order, M.SignedOff, before, `signed off by ${signed.printedName} (${signed.signer})`);
      const clearance = `Maintenance order ${order.number} signed off by ${signed.printedName}: ${order.workDone}`;
      await this.release(work, principal, order, clearance);
      if (calibration) {
        // The due date before this calibration is superseded: only the new one holds.
        const earlier = await tx.find(EquipmentConditionRecord, {
          equipment: order.equipment,
          clearedAt: null,
          externalReference: { $like: 'maintenance-order:%:next-due' },
        });
        for (const record of earlier)
          await this.conditions.clearIn(work, principal, { id: record.id, clearance }, true);
        await this.conditions.recordIn(
          work,
          principal,
          conditionInput(order.equipment.path, nextDueReference(order.number), {
            condition: EquipmentCondition.CalibrationDue,
            dueAt: next,
            reason: `Next calibration (after maintenance order ${order.number})`,
          }),
          true,
        );
      }
      return order;
    });
  }

  private move(
    principal: Principal,
    input: MaintenanceOrderTransitionInput,
    to: MaintenanceOrderState,
    effect: (work: Work, order: MaintenanceOrder) => Promise<void>,
  ) {
    return this.uow.run(principal.name, async (work) => {
      if (input.reason != null) checkText('reason', input.reason, 2000);
      const order = await this.find(work.tx, principal, input.number, Permission.MaintainEquipment);
      requireTransition(order, to);
      const before = snapshot(order);
      const sentBack = order.state === M.Completed && to === M.InProgress;
      await effect(work, order);
      enter(work, order, to, before, input.reason ?? null, sentBack);
      return order;
    });
  }

  /** Opens or brings up to date the condition record the order holds, as of its state. */
  private async hold(work: Work, principal: Principal, order: MaintenanceOrder) {
    const held = heldCondition(order);
    await work.tx.flush();
    await this.conditions.recordIn(
      work,
      principal,
      conditionInput(order.equipment.path, maintenanceReference(order.number), {
        ...held,
        reason: `${order.kind} maintenance order ${order.number}: ${order.description}`,
      }),
      true,
    );
  }

  private async release(work: Work, principal: Principal, order: MaintenanceOrder, clearance: string) {
    const externalReference = maintenanceReference(order.number);
    if (await work.tx.count(EquipmentConditionRecord, { externalReference }))
      await this.conditions.clearIn(work, principal, { externalReference, clearance: clearance.slice(0, 1000) }, true);
  }

  private async find(tx: Tx, principal: Principal, number: string, permission: Permission) {
    const hidden = () => notFound('maintenance order', number);
    const order =
      (await tx.findOne(
        MaintenanceOrder,
        { $and: [{ number }, { equipment: pathsVisible(principal) }] },
        { populate: ['equipment'], lockMode: LockMode.PESSIMISTIC_WRITE },
      )) ?? fail(hidden());
    requireAt(principal, permission, order.equipment.path, hidden);
    return order;
  }
}

function conditionInput(
  path: string,
  externalReference: string,
  held: { condition: EquipmentCondition; dueAt: Date | null; reason: string },
): RecordEquipmentConditionInput {
  return { path, externalReference, condition: held.condition, dueAt: held.dueAt, reason: held.reason.slice(0, 1000) };
}

function requireTransition(order: MaintenanceOrder, to: MaintenanceOrderState) {
  const allowed = MAINTENANCE_ORDER_TRANSITIONS[order.state];
  if (!allowed.includes(to))
    fail(invalidTransition(`Maintenance order ${order.number}`, order.state, to, [...allowed]));
}

const EVENT: Record<MaintenanceOrderState, string> = {
  [M.Open]: 'MaintenanceOrderOpened',
  [M.InProgress]: 'MaintenanceOrderStarted',
  [M.Completed]: 'MaintenanceOrderCompleted',
  [M.SignedOff]: 'MaintenanceOrderSignedOff',
  [M.Cancelled]: 'MaintenanceOrderCancelled',
};

function enter(
  work: Work,
  order: MaintenanceOrder,
  to: MaintenanceOrderState,
  before: unknown,
  reason: string | null,
  sentBack = false,
) {
  Object.assign(order, { state: to, stateChangedAt: new Date(), stateReason: reason });
  work.changed(sentBack ? 'MaintenanceOrderSentBack' : EVENT[to], order, order.number, before, reason);
}
