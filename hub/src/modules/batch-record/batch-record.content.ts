import {
  AuditRecord,
  CampaignBatch,
  Deviation,
  ElectronicSignature,
  LotGenealogy,
  MaterialLot,
  Permission,
  StepRecord,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';

/** The audit action that records a rendering; left out of the excerpt, so re-rendering does not change the record. */
export const RENDERED = 'BatchRecordRendered';
/** Names the layout of the content, so a later change of it cannot pass for the same hash. */
export const CONTENT_FORMAT = 'plantgraph-batch-record/1';
/**
 * The layout of an order run as a campaign or split at a step: format 1 plus its batches, the batch
 * and split of each execution, and every lot made. Other orders keep format 1, so their renderings
 * still verify.
 */
export const BATCHES_FORMAT = 'plantgraph-batch-record/2';

const iso = (d: Date | string | null | undefined) => (d == null ? null : new Date(d).toISOString());

/**
 * The executed record of one order, as plain data: what the document shows and what its hash covers.
 * Everything comes from the order's release snapshot and the stored execution data (steps,
 * deviations, signatures, genealogy links, audit trail), never from the live master record.
 */
export interface BatchRecordContent {
  format: typeof CONTENT_FORMAT | typeof BATCHES_FORMAT;
  order: {
    number: string;
    externalReference: string | null;
    state: string;
    stateReason: string | null;
    line: string;
    quantity: number;
    unitOfMeasure: string;
    plannedStart: string | null;
    plannedEnd: string | null;
    actualStart: string | null;
    actualEnd: string | null;
    lineClearedAt: string | null;
  };
  product: {
    productDefinition: string;
    name: string;
    version: number;
    material: string;
    yieldBracket: string | null;
    snapshotTakenAt: string;
  };
  steps: BatchRecordStep[];
  deviations: {
    kind: string;
    severity: string;
    state: string;
    segment: string | null;
    description: string;
    openedBy: string;
    resolution: string | null;
    closedAt: string | null;
    capa: string | null;
  }[];
  signatures: {
    on: string;
    signer: string;
    printedName: string;
    signedAt: string;
    meaning: string;
    act: string | null;
  }[];
  genealogy: {
    produced: { lotNumber: string; quantity: number; unitOfMeasure: string }[];
    consumed: { lotNumber: string; quantity: number; into?: string }[];
  };
  audit: { at: string; actor: string; action: string; on: string; reason: string | null; hash: string }[];
  /** Format 2: a campaign's batches, each with its lot and the cleaning after it. */
  batches?: {
    sequence: number;
    lotNumber: string;
    quantity: number;
    completedBy: string;
    completedAt: string;
    cleaning: string | null;
    cleanedBy: string | null;
    cleanedAt: string | null;
  }[];
}

export interface BatchRecordExecution {
  operator: string;
  equipment: string;
  startedAt: string;
  completedAt: string | null;
  passed: boolean | null;
  verifiedBy: string | null;
  values: { parameter: string; value: number; lowerLimit: number; upperLimit: number; withinTolerance: boolean }[];
  /** Format 2: the campaign batch it ran for, and the split recorded at it. */
  batch?: number | null;
  split?: { lotNumber: string; quantity: number; parts: { lotNumber: string; quantity: number }[] } | null;
}

export interface BatchRecordStep {
  segment: string;
  name: string;
  workInstruction: string | null;
  critical: boolean;
  limits: { parameter: string; target: number; lowerLimit: number; upperLimit: number; unit: string | null }[];
  executions: BatchRecordExecution[];
}

/** The order if the caller may read it where it runs; the same answer for absent and hidden orders. */
export async function readableOrder(tx: Tx, principal: Principal, number: string): Promise<WorkOrder> {
  const hidden = () => notFound('work order', number);
  const order =
    (await tx.findOne(
      WorkOrder,
      { $and: [{ number }, { equipment: pathsVisible(principal) }] },
      { populate: ['equipment'] },
    )) ?? fail(hidden());
  requireAt(principal, Permission.Read, order.equipment.path, hidden);
  if (!order.snapshot || order.state === WorkOrderState.Draft)
    fail(invalidInput('number', `order ${number} is ${order.state}; it has a batch record once it is released.`));
  return order;
}

/** Gathers the record of `order` (already checked readable) from stored data only. */
export async function assembleBatchRecord(tx: Tx, order: WorkOrder): Promise<BatchRecordContent> {
  const snapshot = order.snapshot!;
  const steps = await tx.find(StepRecord, { workOrder: order }, { orderBy: { sequence: 'asc', startedAt: 'asc' } });
  const deviations = await tx.find(Deviation, { workOrder: order }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  const batches = order.campaignBatches
    ? await tx.find(CampaignBatch, { workOrder: order }, { orderBy: { sequence: 'asc' } })
    : [];
  const extended = Boolean(order.campaignBatches) || steps.some((s) => s.split);
  const names = new Map<string, string>([[order.id, 'order']]);
  for (const s of steps) names.set(s.id, `step ${s.segment}${s.batch ? ` of batch ${s.batch}` : ''}`);
  for (const b of batches) names.set(b.id, `batch ${b.sequence}`);
  for (const [i, d] of deviations.entries()) names.set(d.id, `deviation ${i + 1}`);
  const ids = [...names.keys()];
  const signatures = await tx.find(
    ElectronicSignature,
    { recordId: { $in: ids }, recordType: { $in: ['WorkOrder', 'StepRecord', 'Deviation', 'CampaignBatch'] } },
    { orderBy: { signedAt: 'asc', id: 'asc' } },
  );
  const audit = await tx.find(
    AuditRecord,
    {
      entityId: { $in: ids },
      entityType: { $in: ['WorkOrder', 'StepRecord', 'Deviation', 'CampaignBatch'] },
      action: { $ne: RENDERED },
    },
    { orderBy: { id: 'asc' } },
  );
  const links = await tx.find(
    LotGenealogy,
    { workOrder: order },
    { populate: ['input', 'output'], orderBy: { id: 'asc' } },
  );
  const madeNumbers = [
    ...batches.map((b) => b.lotNumber),
    ...steps.flatMap((s) => (s.split ? [s.split.lotNumber, ...s.split.parts.map((p) => p.lotNumber)] : [])),
    ...(order.producedLot ? [order.producedLot] : []),
  ].filter((n, i, all) => all.indexOf(n) === i);
  const made = madeNumbers.length ? await tx.find(MaterialLot, { lotNumber: { $in: madeNumbers } }) : [];
  const produced = madeNumbers
    .map((n) => made.find((l) => l.lotNumber === n))
    .filter((l): l is MaterialLot => Boolean(l) && (extended || l!.lotNumber === order.producedLot));
  const bracket = snapshot.yieldBracket;
  const content: BatchRecordContent = {
    format: extended ? BATCHES_FORMAT : CONTENT_FORMAT,
    order: {
      number: order.number,
      externalReference: order.externalReference ?? null,
      state: order.state,
      stateReason: order.stateReason ?? null,
      line: order.equipment.path,
      quantity: Number(order.quantity),
      unitOfMeasure: order.unitOfMeasure,
      plannedStart: iso(order.plannedStart),
      plannedEnd: iso(order.plannedEnd),
      actualStart: iso(order.actualStart),
      actualEnd: iso(order.actualEnd),
      lineClearedAt: iso(order.lineClearedAt),
    },
    product: {
      productDefinition: snapshot.productDefinition,
      name: snapshot.name,
      version: snapshot.version,
      material: `${snapshot.producedMaterial.code} ${snapshot.producedMaterial.name} (${snapshot.producedMaterial.unitOfMeasure})`,
      yieldBracket: bracket ? `${bracket.minPercent}-${bracket.maxPercent} %` : null,
      snapshotTakenAt: snapshot.takenAt,
    },
    steps: snapshot.segments.map((segment) => ({
      segment: segment.code,
      name: segment.name,
      workInstruction: segment.workInstruction ?? null,
      critical: Boolean(segment.critical),
      limits: (segment.parameters ?? []).map((p) => ({
        parameter: p.name,
        target: p.target,
        lowerLimit: p.lowerLimit,
        upperLimit: p.upperLimit,
        unit: p.unitOfMeasure ?? null,
      })),
      executions: steps
        .filter((s) => s.segment === segment.code)
        .map((s) => ({
          ...(extended ? { batch: s.batch ?? null, split: s.split ?? null } : {}),
          operator: s.operator,
          equipment: s.equipment,
          startedAt: iso(s.startedAt)!,
          completedAt: iso(s.completedAt),
          passed: s.passed ?? null,
          verifiedBy: s.verifiedBy ?? null,
          values: s.measurements.map((m) => ({
            parameter: m.parameter,
            value: m.value,
            lowerLimit: m.lowerLimit,
            upperLimit: m.upperLimit,
            withinTolerance: m.withinTolerance,
          })),
        })),
    })),
    deviations: deviations.map((d) => ({
      kind: d.kind,
      severity: d.severity,
      state: d.state,
      segment: d.segment ?? null,
      description: d.description,
      openedBy: d.openedBy,
      resolution: d.resolution ?? null,
      closedAt: iso(d.closedAt),
      capa: d.capaReference ?? null,
    })),
    signatures: signatures.map((s) => ({
      on: names.get(s.recordId)!,
      signer: s.signer,
      printedName: s.printedName,
      signedAt: iso(s.signedAt)!,
      meaning: s.meaning,
      act: s.act ?? null,
    })),
    genealogy: {
      produced: produced.map((lot) => ({
        lotNumber: lot.lotNumber,
        quantity: Number(lot.quantity),
        unitOfMeasure: lot.unitOfMeasure,
      })),
      consumed: links.map((l) => ({
        lotNumber: l.input.lotNumber,
        quantity: Number(l.quantity),
        ...(extended ? { into: l.output.lotNumber } : {}),
      })),
    },
    audit: audit.map((a) => ({
      at: iso(a.at)!,
      actor: a.actor,
      action: a.action,
      on: names.get(a.entityId)!,
      reason: a.reason ?? null,
      hash: a.hash,
    })),
  };
  if (order.campaignBatches)
    content.batches = batches.map((b) => ({
      sequence: b.sequence,
      lotNumber: b.lotNumber,
      quantity: Number(b.quantity),
      completedBy: b.completedBy,
      completedAt: iso(b.completedAt)!,
      cleaning: b.cleaning ?? null,
      cleanedBy: b.cleanedBy ?? null,
      cleanedAt: iso(b.cleanedAt),
    }));
  return content;
}
