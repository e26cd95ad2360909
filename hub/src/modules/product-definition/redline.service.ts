import {
  CampaignBatch,
  AffectedOrder,
  type ApproveRedlineInput,
  DeviationKind,
  DeviationSeverity,
  EngineeringChangeDecision,
  type DecideEngineeringChangeInput,
  Permission,
  ProductDefinitionVersion,
  ProductDefinitionVersionState,
  type ProposeRedlineInput,
  Redline,
  RedlineState,
  SignatureMeaning,
  SignedAct,
  StepRecord,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import { ENTERPRISE, type SignatureService } from '../../auth/signatures.js';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import { checkText, isUuid } from '../../core/keys.js';
import { canonical } from '../../core/audit-chain.js';
import type { Principal } from '../../core/principal.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { pathsVisible, requireEnterpriseWide } from '../../core/visibility.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';
import { checkSegments, findVersion, plain } from './product-definition.service.js';
import { orderChanged } from '../work-order/work-order-events.js';
import { stepToDo } from '../work-order/batch-in-work.js';
import { findOrderFor } from '../work-order/work-order-access.js';
import { enterState } from '../work-order/work-order-lifecycle.service.js';
import { openDeviation } from '../work-order/deviation.service.js';

const S = ProductDefinitionVersionState;
const W = WorkOrderState;
const D = EngineeringChangeDecision;
/** Orders whose snapshot is taken and whose record is still being written. */
const IN_FLIGHT = [W.Released, W.InProgress, W.Paused];

/** What an affected order's people are told, and what its next step waits for. */
const pendingChangeMessage = (redline: Redline, code: string, version: number) =>
  `engineering change on ${code} (redline of version ${version}: ${redline.change}; why: ${redline.reason}) awaits a supervisor's decision for this order (decideEngineeringChange): continue on the released snapshot, or pause with a deviation.`;

/**
 * Engineering changes reaching the floor: a redline on an Active master-record version (what, why,
 * who), approved by two signatures (Review and Approval) of people other than its author. Approval
 * makes a new Active version, so new orders, and Drafts, are made by it; orders in flight keep
 * their snapshot untouched, are listed as affected, told on their line's `workOrderChanged`
 * subscription and at their current step, and wait for a supervisor's decision per order.
 */
export class RedlineService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly subjects: Subjects,
    private readonly signatures: SignatureService,
  ) {}

  list(tx: Tx, productDefinition: string) {
    return tx.find(
      Redline,
      { productDefinitionVersion: { productDefinition: { code: productDefinition } } },
      { orderBy: { createdAt: 'asc' }, limit: 500 },
    );
  }

  affectedOrders(tx: Tx, principal: Principal, redline: string) {
    return tx.find(
      AffectedOrder,
      { redline, workOrder: { equipment: pathsVisible(principal) } },
      { orderBy: { workOrder: { number: 'asc' } } },
    );
  }

  propose(principal: Principal, input: ProposeRedlineInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      const version = await findVersion(tx, input.productDefinitionVersion);
      if (version.state !== S.Active)
        fail(
          invalidInput(
            'productDefinitionVersion',
            `version ${version.version} is ${version.state}; a redline marks up the Active version (a Draft is edited instead).`,
          ),
        );
      checkText('change', input.change, 2000);
      checkText('reason', input.reason, 2000);
      if (!input.segments.length) fail(invalidInput('segments', 'give the segments as they are to be.'));
      await checkSegments(tx, input.segments);
      if (canonical(meaningful(plain(input.segments))) === canonical(meaningful(version.segments)))
        fail(invalidInput('segments', `they are those of version ${version.version}: the redline changes nothing.`));
      const redline = tx.create(Redline, {
        productDefinitionVersion: version,
        change: input.change.trim(),
        reason: input.reason.trim(),
        segments: plain(input.segments),
        proposedBy: principal.name,
      });
      work.changed('RedlineProposed', redline, keyOf(version), null, redline.reason);
      return redline;
    });
  }

  approve(principal: Principal, input: ApproveRedlineInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.QualityApproval);
      const redline = await findRedline(tx, input.id);
      if (redline.state !== RedlineState.Proposed)
        fail(invalidInput('id', `the redline is ${redline.state}; only a Proposed one is approved.`));
      const version = redline.productDefinitionVersion;
      if (version.state !== S.Active)
        fail(
          invalidInput(
            'id',
            `version ${version.version} is no longer Active (${version.state}); mark up the Active version again.`,
          ),
        );
      const author = redline.proposedBy.startsWith('user:') ? [redline.proposedBy.slice('user:'.length)] : [];
      const signed = await this.signatures.signByTwo(
        tx,
        input.signatures,
        {
          act: SignedAct.RedlineApproval,
          meanings: [SignatureMeaning.Review, SignatureMeaning.Approval],
          at: ENTERPRISE,
          excluded: new Map(author.map((a) => [a, 'they wrote the redline, and may neither review nor approve it'])),
        },
        'Redline',
        redline,
      );
      const next = await this.supersede(work, redline, version);
      const before = snapshot(redline);
      Object.assign(redline, {
        state: RedlineState.Approved,
        approvedBy: signed.map((s) => s.signer),
        approvedAt: new Date(),
        resultingVersion: next,
      });
      work.changed('RedlineApproved', redline, keyOf(version), before, `new version ${next.version}`);
      await this.tellOrdersInFlight(work, redline, version);
      return redline;
    });
  }

  /**
   * The supervisor's decision for one affected order: continue on its snapshot, or pause it (an
   * InProgress order) with an EngineeringChange deviation. Either way the snapshot stays as released.
   */
  decide(principal: Principal, input: DecideEngineeringChangeInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await findOrderFor(tx, principal, input.number, Permission.ReleaseToProduction);
      const affected =
        (isUuid(input.redline) &&
          (await tx.findOne(
            AffectedOrder,
            { redline: input.redline, workOrder: order },
            { populate: ['redline.productDefinitionVersion.productDefinition'] },
          ))) ||
        fail(notFound('engineering change of the order', `${input.redline} on ${input.number}`));
      if (affected.decision !== D.Pending)
        fail(invalidInput('decision', `${affected.decision} was decided by ${affected.decidedBy} already.`));
      if (input.decision === D.Pending)
        fail(invalidInput('decision', 'decide ContinueOnSnapshot or PauseWithDeviation.'));
      checkText('reason', input.reason, 2000);
      const before = snapshot(affected);
      const reason = input.reason.trim();
      if (input.decision === D.PauseWithDeviation) {
        if (order.state === W.Released)
          fail(
            invalidInput(
              'decision',
              `order ${order.number} is Released and has not started; continue it on its snapshot, or cancel it (cancelWorkOrder) and plan it anew.`,
            ),
          );
        if (order.state === W.InProgress) enterState(work, this.subjects, order, W.Paused, reason);
        const { redline } = affected;
        const version = redline.productDefinitionVersion;
        affected.deviation = openDeviation(work, this.subjects, {
          order,
          lot: null,
          segment: affected.step ?? null,
          kind: DeviationKind.EngineeringChange,
          severity: DeviationSeverity.Major,
          description: `Paused for the engineering change on ${keyOf(version)} (${redline.change}): ${reason}`,
        });
      }
      Object.assign(affected, {
        decision: input.decision,
        decidedBy: principal.name,
        decidedAt: new Date(),
        decisionReason: reason,
      });
      work.audit('EngineeringChangeDecided', affected, before, reason);
      orderChanged(work, this.subjects, 'EngineeringChangeDecided', order, order.state, undefined, reason);
      return affected;
    });
  }

  /** The approved change as the new Active version; Drafts are made by it from now on. */
  private async supersede(work: Work, redline: Redline, version: ProductDefinitionVersion) {
    const { tx } = work;
    const definition = version.productDefinition;
    const [latest] = await tx.find(
      ProductDefinitionVersion,
      { productDefinition: definition },
      { orderBy: { version: 'desc' }, limit: 1 },
    );
    const now = new Date();
    const next = tx.create(ProductDefinitionVersion, {
      productDefinition: definition,
      version: latest!.version + 1,
      segments: redline.segments,
      changeNote: `Redline of version ${version.version}: ${redline.change}`,
      yieldBracket: version.yieldBracket ?? null,
      authors: [redline.proposedBy],
      state: S.Active,
      stateChangedAt: now,
    });
    const before = snapshot(version);
    Object.assign(version, { state: S.Deprecated, stateChangedAt: now });
    work.changed('ProductDefinitionVersionDeprecated', version, keyOf(version), before, redline.change);
    work.changed('ProductDefinitionVersionActive', next, keyOf(next), null, redline.change);
    // A Draft has no snapshot yet: it is made by the approved change, said in its audit trail.
    for (const draft of await tx.find(
      WorkOrder,
      { productDefinitionVersion: { productDefinition: definition }, state: W.Draft },
      { populate: ['equipment'] },
    )) {
      const was = snapshot(draft);
      draft.productDefinitionVersion = next;
      orderChanged(work, this.subjects, 'WorkOrderMasterRecordChanged', draft, W.Draft, was, redline.change);
    }
    return next;
  }

  /** Lists every order in flight as affected and tells its people, on their line and at their step. */
  private async tellOrdersInFlight(work: Work, redline: Redline, version: ProductDefinitionVersion) {
    const { tx } = work;
    const orders = await tx.find(
      WorkOrder,
      { productDefinitionVersion: { productDefinition: version.productDefinition }, state: { $in: IN_FLIGHT } },
      { populate: ['equipment'], orderBy: { number: 'asc' } },
    );
    const steps = await tx.find(StepRecord, { workOrder: { $in: orders } }, { orderBy: { sequence: 'asc' } });
    const batches = await tx.find(CampaignBatch, { workOrder: { $in: orders } });
    const message = pendingChangeMessage(redline, version.productDefinition.code, version.version);
    for (const order of orders) {
      const mine = <T extends { workOrder: { id: string } }>(rows: T[]) =>
        rows.filter((r) => r.workOrder.id === order.id);
      // A campaign's step is that of its batch in work.
      const step = stepToDo(order, mine(steps), mine(batches).length)?.code ?? null;
      const operators = [
        ...new Set(order.assignments.filter((a) => !step || a.segment === step).flatMap((a) => a.operators)),
      ];
      const affected = tx.create(AffectedOrder, { redline, workOrder: order, step, operators });
      work.audit('OrderAffectedByEngineeringChange', affected, null, message);
      const at = step ? ` Current step ${step}; operators ${operators.join(', ') || 'none assigned'}.` : '';
      const told = `${message}${at}`;
      orderChanged(work, this.subjects, 'WorkOrderAffectedByEngineeringChange', order, order.state, undefined, told);
    }
  }
}

/** Content without the empty fields (null, missing, []) that say the same thing either way. */
function meaningful(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(meaningful);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v != null && !(Array.isArray(v) && !v.length))
      .map(([k, v]) => [k, meaningful(v)]),
  );
}

const keyOf = (version: ProductDefinitionVersion) => `${version.productDefinition.code}/${version.version}`;

async function findRedline(tx: Tx, id: string): Promise<Redline> {
  return (
    (isUuid(id) && (await tx.findOne(Redline, { id }, { populate: ['productDefinitionVersion.productDefinition'] }))) ||
    fail(notFound('redline', id))
  );
}
