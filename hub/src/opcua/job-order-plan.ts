import { JOB_ORDER_STATE, JobOrderState, type WorkOrderState } from '@plantgraph/schema';

/**
 * How the OPC UA face reads an ISA-95 Job Control (OPC 10031-4) job order and answers a command, without
 * OPC UA or GraphQL: the node-opcua server (`job-control-server.ts`) decodes the structures, the commands
 * (`job-control-commands.ts`) run them as the caller. The mapping is documented in docs/opcua-job-control.md.
 */

/** The OPC UA status a refused command answers with (names of node-opcua's `StatusCodes`). */
export type JobControlStatus =
  | 'BadInvalidArgument'
  | 'BadUserAccessDenied'
  | 'BadNotFound'
  | 'BadInvalidState'
  | 'BadNotSupported'
  | 'BadTooManyOperations'
  | 'BadInternalError';

/** A command the hub did not carry out: nothing was changed, and `message` says what to fix. */
export class JobControlRefusal {
  constructor(
    readonly status: JobControlStatus,
    readonly message: string,
  ) {}
}

export const isRefusal = (value: unknown): value is JobControlRefusal => value instanceof JobControlRefusal;

/** `ISA95JobOrderDataType` as node-opcua decodes it (its field casing: `ID` stays, others start lower case). */
export interface JobOrderFields {
  jobOrderID: string;
  workMasterID?: { ID: string; parameters?: ParameterFields[] | null }[] | null;
  startTime?: Date | null;
  endTime?: Date | null;
  priority?: number | null;
  jobOrderParameters?: ParameterFields[] | null;
  personnelRequirements?: { ID: string; personnelUse?: string | null }[] | null;
  equipmentRequirements?: { ID: string; equipmentUse?: string | null }[] | null;
  physicalAssetRequirements?: unknown[] | null;
  materialRequirements?:
    | { materialDefinitionID?: string | null; materialUse?: string | null; quantity?: string | null }[]
    | null;
}

interface ParameterFields {
  ID: string;
  value?: { value?: unknown } | null;
}

/** What a job order becomes in the hub: the Draft order (`importWorkOrder`) and the release's assignments. */
export interface JobOrderPlan {
  order: {
    number: string;
    externalReference: string;
    productDefinition: string;
    version?: number;
    quantity: number;
    equipment: string;
    plannedStart?: string;
    plannedEnd?: string;
  };
  assignments: { segment: string; equipment: string; operators: string[] }[];
}

/** Orders stored through Job Control carry this prefix in their external reference. */
export const JOB_CONTROL_REFERENCE = 'opcua-job-control:';

const refuse = (status: JobControlStatus, message: string) => new JobControlRefusal(status, message);
const bad = (message: string) => refuse('BadInvalidArgument', message);

/**
 * The hub order for a job order stored at the receiver of `workCenter`. The work master is the product
 * definition; the quantity is the `Produced` material requirement (or a `Quantity` parameter); equipment and
 * personnel requirements name their segment in `EquipmentUse` / `PersonnelUse`. What the hub cannot keep is
 * refused rather than dropped.
 */
export function planJobOrder(job: JobOrderFields, workCenter: string): JobOrderPlan | JobControlRefusal {
  const number = job.jobOrderID?.trim();
  if (!number) return bad('JobOrderID is empty: give the number the work order will have.');
  const masters = job.workMasterID ?? [];
  if (masters.length !== 1 || !masters[0].ID)
    return bad(
      `WorkMasterID: give exactly one work master, the code of the product definition (got ${masters.length}).`,
    );
  if (job.physicalAssetRequirements?.length)
    return refuse('BadNotSupported', 'PhysicalAssetRequirements: the hub has no physical assets; leave them out.');
  if (job.priority)
    return refuse('BadNotSupported', 'Priority: hub work orders have no priority; send 0 (orders run by plan).');
  const quantity = quantityOf(job);
  if (isRefusal(quantity)) return quantity;
  const version = versionOf(masters[0].parameters ?? []);
  if (isRefusal(version)) return version;
  const assignments = assignmentsOf(job);
  if (isRefusal(assignments)) return assignments;
  return {
    order: {
      number,
      externalReference: `${JOB_CONTROL_REFERENCE}${number}`,
      productDefinition: masters[0].ID,
      ...(version === null ? {} : { version }),
      quantity,
      equipment: workCenter,
      ...(validDate(job.startTime) ? { plannedStart: job.startTime!.toISOString() } : {}),
      ...(validDate(job.endTime) ? { plannedEnd: job.endTime!.toISOString() } : {}),
    },
    assignments,
  };
}

// node-opcua decodes an absent DateTime as the OPC UA minimum date (1601); that is no plan.
const validDate = (d: Date | null | undefined): d is Date => d instanceof Date && d.getUTCFullYear() > 1601;

function quantityOf(job: JobOrderFields): number | JobControlRefusal {
  const materials = job.materialRequirements ?? [];
  const other = materials.find((m) => (m.materialUse ?? '').toLowerCase() !== 'produced');
  if (other)
    return refuse(
      'BadNotSupported',
      `MaterialRequirements: only the Produced material is taken (the hub reserves consumed lots at release, FEFO/FIFO); leave out "${other.materialDefinitionID ?? other.materialUse}".`,
    );
  const produced = materials.map((m) => m.quantity);
  const parameter = (job.jobOrderParameters ?? []).filter((p) => p.ID === 'Quantity').map((p) => p.value?.value);
  const given = [...produced, ...parameter];
  if (given.length !== 1)
    return bad(
      'Give the quantity once: a MaterialRequirement with MaterialUse "Produced" and a Quantity, or a JobOrderParameter "Quantity".',
    );
  const quantity = Number(given[0]);
  if (!Number.isFinite(quantity) || quantity <= 0)
    return bad(`Quantity: "${String(given[0])}" is not a positive number.`);
  return quantity;
}

function versionOf(parameters: ParameterFields[]): number | null | JobControlRefusal {
  const version = parameters.find((p) => p.ID === 'Version');
  if (!version) return null;
  const n = Number(version.value?.value);
  return Number.isInteger(n) && n > 0 ? n : bad('WorkMasterID Parameters "Version": give a version number (1, 2, …).');
}

function assignmentsOf(job: JobOrderFields): JobOrderPlan['assignments'] | JobControlRefusal {
  const bySegment = new Map<string, { equipment: string[]; operators: string[] }>();
  const entry = (segment: string) => {
    const e = bySegment.get(segment) ?? { equipment: [], operators: [] };
    bySegment.set(segment, e);
    return e;
  };
  for (const e of job.equipmentRequirements ?? []) {
    if (!e.equipmentUse) return bad(`EquipmentRequirements "${e.ID}": name the segment it runs in EquipmentUse.`);
    entry(e.equipmentUse).equipment.push(e.ID);
  }
  for (const p of job.personnelRequirements ?? []) {
    if (!p.personnelUse) return bad(`PersonnelRequirements "${p.ID}": name the segment in PersonnelUse.`);
    entry(p.personnelUse).operators.push(p.ID);
  }
  const assignments: JobOrderPlan['assignments'] = [];
  for (const [segment, { equipment, operators }] of bySegment) {
    if (equipment.length !== 1)
      return bad(`Segment "${segment}": give exactly one EquipmentRequirement (got ${equipment.length}).`);
    assignments.push({ segment, equipment: equipment[0], operators });
  }
  return assignments;
}

/** `StateNumber` of each state of the ISA95JobOrderStateMachineType (the nodeset's numbering). */
export const JOB_STATE_NUMBER: Readonly<Record<JobOrderState, number>> = {
  [JobOrderState.NotAllowedToStart]: 1,
  [JobOrderState.AllowedToStart]: 2,
  [JobOrderState.Running]: 3,
  [JobOrderState.Interrupted]: 4,
  [JobOrderState.Ended]: 5,
  [JobOrderState.Aborted]: 6,
};

/** The hub states shown as any of `states`: the inverse of the one mapping, `JOB_ORDER_STATE`. */
export function hubStatesShownAs(states: readonly JobOrderState[]): WorkOrderState[] {
  return (Object.entries(JOB_ORDER_STATE) as [WorkOrderState, JobOrderState][])
    .filter(([, shown]) => states.includes(shown))
    .map(([state]) => state);
}

/** Ended and Aborted orders are the ones `Clear` takes off a receiver's list. */
export const isFinished = (state: JobOrderState) => state === JobOrderState.Ended || state === JobOrderState.Aborted;
