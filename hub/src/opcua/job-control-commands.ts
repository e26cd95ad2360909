import { JobOrderState, Permission } from '@plantgraph/schema';
import type { Principal } from '../core/principal.js';
import { within } from '../core/principal.js';
import type { ExecuteOperation, OperationResult } from '../graphql/execute.js';
import {
  hubStatesShownAs,
  isFinished,
  isRefusal,
  type JobControlStatus,
  JobControlRefusal,
  type JobOrderFields,
  planJobOrder,
} from './job-order-plan.js';
import type { JobOrderStore } from './job-order-store.js';

/** What a receiver reports of an order (`ISA95JobResponseDataType`, before OPC UA encoding). */
export interface JobResponse {
  jobOrderID: string;
  state: JobOrderState;
  startTime: Date | null;
  endTime: Date | null;
  /** Where it runs (the response's EquipmentActuals). */
  equipment: string;
  /** What it produces (the response's MaterialActuals, with the good quantity when counted). */
  produced: { definition: string; materialClass: string | null; unit: string };
  /** Counted good and scrap parts (the Request methods; the list variable leaves them out, it is read often). */
  counts?: { good: number; scrap: number };
}

type Outcome = JobControlRefusal | null;

const ORDER = `number jobControlState actualStart actualEnd equipment { path }
  productDefinitionVersion { productDefinition { producedMaterial { code unitOfMeasure materialClass { code } } } }`;
const COUNTS = 'counts { goodQuantity scrapQuantity }';
const FAILURE = '... on ErrorResult { code message }';
const TRANSITION = `__typename ... on WorkOrder { number } ${FAILURE} ... on ReleaseBlocked { problems { message } }`;
/** Hub errors (extensions.code) as OPC UA statuses; anything else is a fault of the hub. */
const ERROR_STATUS: Record<string, JobControlStatus> = {
  UNAUTHENTICATED: 'BadUserAccessDenied',
  FORBIDDEN: 'BadUserAccessDenied',
  BAD_USER_INPUT: 'BadInvalidArgument',
  RATE_LIMITED: 'BadTooManyOperations',
};
/** Expected failures (result union members) as OPC UA statuses. */
const FAILURE_STATUS: Record<string, JobControlStatus> = {
  NotFound: 'BadNotFound',
  UnknownReference: 'BadNotFound',
  InvalidTransition: 'BadInvalidState',
  ReleaseBlocked: 'BadInvalidState',
};

/**
 * The Job Control commands of one hub process, each run as the session's principal through the hub's GraphQL
 * in process (`ExecuteOperation`: rate limit, validation, cost, `@Allow` guards, then the services' scope
 * checks, transactions and audit), so the OPC UA face can do nothing the caller could not do through GraphQL.
 */
export class JobControlCommands {
  constructor(
    private readonly execute: ExecuteOperation,
    /** Release assignments of stored orders (Job Control's Start carries none) and cleared orders, in the database. */
    private readonly received: Pick<JobOrderStore, 'stored' | 'assignments' | 'clear' | 'cleared'>,
  ) {}

  /** Store: a Draft work order (NotAllowedToStart), idempotent by the JobOrderID; a stored Draft is updated. */
  async store(principal: Principal, workCenter: string, job: JobOrderFields): Promise<Outcome> {
    const plan = planJobOrder(job, workCenter);
    if (isRefusal(plan)) return plan;
    const r = await this.execute(
      principal,
      `mutation ($i: ImportWorkOrderInput!) { r: importWorkOrder(input: $i) {
        __typename ... on WorkOrderImport { outcome message } ${FAILURE} } }`,
      { i: plan.order },
    );
    const refused = refusalOf(r);
    if (refused) return refused;
    const answer = r.data!.r as { outcome: string; message: string };
    if (answer.outcome === 'Conflict') return new JobControlRefusal('BadInvalidState', answer.message);
    await this.received.stored(plan.order.number, workCenter, plan.assignments);
    return null;
  }

  /** Update: only a stored job order that has not been allowed to start. */
  async update(principal: Principal, workCenter: string, job: JobOrderFields): Promise<Outcome> {
    const order = await this.#order(principal, workCenter, job.jobOrderID);
    if (isRefusal(order)) return order;
    if (order.jobControlState !== JobOrderState.NotAllowedToStart)
      return wrongState(order, 'updated', [JobOrderState.NotAllowedToStart]);
    return this.store(principal, workCenter, job);
  }

  /** Start: release (the master record's snapshot, checks, reservations) if needed, then start. */
  async start(principal: Principal, workCenter: string, id: string): Promise<Outcome> {
    const order = await this.#order(principal, workCenter, id);
    if (isRefusal(order)) return order;
    if (order.jobControlState === JobOrderState.NotAllowedToStart) {
      const assignments = await this.received.assignments(order.number);
      if (!assignments)
        return new JobControlRefusal(
          'BadInvalidState',
          `Job order ${id} was not stored through Job Control, so its equipment and personnel requirements are not known: call Update with the job order, then Start.`,
        );
      const released = await this.#transition(principal, 'releaseWorkOrder', 'ReleaseWorkOrderInput', {
        number: order.number,
        assignments,
      });
      if (released) return released;
    } else if (order.jobControlState !== JobOrderState.AllowedToStart) {
      return wrongState(order, 'started', [JobOrderState.NotAllowedToStart, JobOrderState.AllowedToStart]);
    }
    return this.#transition(principal, 'startWorkOrder', 'WorkOrderTransitionInput', { number: order.number });
  }

  async storeAndStart(principal: Principal, workCenter: string, job: JobOrderFields): Promise<Outcome> {
    return (await this.store(principal, workCenter, job)) ?? this.start(principal, workCenter, job.jobOrderID);
  }

  pause(principal: Principal, workCenter: string, id: string, comment: string): Promise<Outcome> {
    return this.#move(principal, workCenter, id, 'pauseWorkOrder', comment || 'Paused through OPC UA Job Control.');
  }

  resume(principal: Principal, workCenter: string, id: string): Promise<Outcome> {
    return this.#move(principal, workCenter, id, 'resumeWorkOrder');
  }

  /** Cancel: an order not yet running (NotAllowedToStart or AllowedToStart) is cancelled. */
  async cancel(principal: Principal, workCenter: string, id: string, comment: string): Promise<Outcome> {
    const order = await this.#order(principal, workCenter, id);
    if (isRefusal(order)) return order;
    const before = [JobOrderState.NotAllowedToStart, JobOrderState.AllowedToStart];
    if (!before.includes(order.jobControlState)) return wrongState(order, 'cancelled', before);
    return this.#cancel(principal, order.number, comment);
  }

  /** Abort: cancelled too; a running order must be paused first (the hub cancels no running order). */
  abort(principal: Principal, workCenter: string, id: string, comment: string): Promise<Outcome> {
    return this.#move(principal, workCenter, id, 'cancelWorkOrder', comment || 'Aborted through OPC UA Job Control.');
  }

  /** Clear: takes an Ended or Aborted order off the receiver's list (the order itself stays, audited). */
  async clear(principal: Principal, workCenter: string, id: string): Promise<Outcome> {
    const order = await this.#order(principal, workCenter, id);
    if (isRefusal(order)) return order;
    if (!principal.can(Permission.PlanWorkOrders, order.equipment.path))
      return new JobControlRefusal('BadUserAccessDenied', `You may not plan work orders at ${order.equipment.path}.`);
    if (!isFinished(order.jobControlState))
      return wrongState(order, 'cleared', [JobOrderState.Ended, JobOrderState.Aborted]);
    await this.received.clear(order.number, workCenter);
    return null;
  }

  /** RequestJobResponseByJobOrderID. */
  async response(principal: Principal, workCenter: string, id: string): Promise<JobResponse | JobControlRefusal> {
    const order = await this.#order(principal, workCenter, id, COUNTS);
    return isRefusal(order) ? order : responseOf(order);
  }

  /**
   * RequestJobResponseByJobOrderState (`counted`: with each order's counts) and the provider's list: the orders at
   * the work center, up to 500.
   */
  async responses(
    principal: Principal,
    workCenter: string,
    states: readonly JobOrderState[] = Object.values(JobOrderState),
    counted = false,
  ): Promise<JobResponse[] | JobControlRefusal> {
    const r = await this.execute(
      principal,
      `query ($f: WorkOrderFilter) { workOrders(filter: $f, first: 500) {
        edges { node { ${ORDER} ${counted ? COUNTS : ''} } } } }`,
      { f: { equipmentPrefix: workCenter, state: hubStatesShownAs(states) } },
    );
    const refused = refusalOf(r);
    if (refused) return refused;
    const orders = (r.data!.workOrders as { edges: { node: OrderRow }[] }).edges.map((e) => e.node);
    const cleared = await this.received.cleared(
      orders.filter((o) => isFinished(o.jobControlState)).map((o) => o.number),
    );
    return orders.filter((o) => !cleared.has(o.number)).map(responseOf);
  }

  /**
   * The receiver's JobOrderList: the orders at the work center not cleared, up to 500, each with what the hub
   * keeps of its job order (work master, planned times, quantity) and its state.
   */
  async list(principal: Principal, workCenter: string): Promise<ListedJobOrder[] | JobControlRefusal> {
    const r = await this.execute(
      principal,
      `query ($f: WorkOrderFilter) { workOrders(filter: $f, first: 500) { edges { node { ${ORDER}
        plannedStart plannedEnd quantity productDefinitionVersion { version productDefinition { code } } } } } }`,
      { f: { equipmentPrefix: workCenter } },
    );
    const refused = refusalOf(r);
    if (refused) return refused;
    const orders = (r.data!.workOrders as { edges: { node: ListedRow }[] }).edges.map((e) => e.node);
    const cleared = await this.received.cleared(
      orders.filter((o) => isFinished(o.jobControlState)).map((o) => o.number),
    );
    return orders
      .filter((o) => !cleared.has(o.number))
      .map((o) => ({
        ...responseOf(o),
        workMaster: o.productDefinitionVersion.productDefinition.code,
        version: o.productDefinitionVersion.version,
        plannedStart: o.plannedStart ? new Date(o.plannedStart) : null,
        plannedEnd: o.plannedEnd ? new Date(o.plannedEnd) : null,
        quantity: o.quantity,
      }));
  }

  async #move(principal: Principal, workCenter: string, id: string, verb: string, reason?: string): Promise<Outcome> {
    const order = await this.#order(principal, workCenter, id);
    if (isRefusal(order)) return order;
    return this.#transition(principal, verb, 'WorkOrderTransitionInput', { number: order.number, reason });
  }

  #cancel(principal: Principal, number: string, comment: string): Promise<Outcome> {
    const reason = comment || 'Cancelled through OPC UA Job Control.';
    return this.#transition(principal, 'cancelWorkOrder', 'WorkOrderTransitionInput', { number, reason });
  }

  async #transition(principal: Principal, verb: string, type: string, input: object): Promise<Outcome> {
    const r = await this.execute(principal, `mutation ($i: ${type}!) { r: ${verb}(input: $i) { ${TRANSITION} } }`, {
      i: input,
    });
    return refusalOf(r);
  }

  /** The order `id` as the caller sees it, only if it runs at this receiver's work center. */
  async #order(
    principal: Principal,
    workCenter: string,
    id: string,
    extra = '',
  ): Promise<OrderRow | JobControlRefusal> {
    if (!id?.trim()) return new JobControlRefusal('BadInvalidArgument', 'JobOrderID is empty.');
    const r = await this.execute(principal, `query ($n: String!) { o: workOrder(number: $n) { ${ORDER} ${extra} } }`, {
      n: id,
    });
    const refused = refusalOf(r);
    if (refused) return refused;
    const order = r.data!.o as OrderRow | null;
    // Out of scope reads like missing, as in GraphQL.
    const cleared =
      order && isFinished(order.jobControlState) && (await this.received.cleared([order.number])).size > 0;
    if (!order || !within(order.equipment.path, workCenter) || cleared)
      return new JobControlRefusal('BadNotFound', `No job order ${id} at ${workCenter}.`);
    return order;
  }
}

interface OrderRow {
  number: string;
  jobControlState: JobOrderState;
  actualStart: string | null;
  actualEnd: string | null;
  equipment: { path: string };
  productDefinitionVersion: {
    productDefinition: {
      producedMaterial: { code: string; unitOfMeasure: string; materialClass: { code: string } | null };
    };
  };
  counts?: { goodQuantity: number; scrapQuantity: number };
}

interface ListedRow extends OrderRow {
  plannedStart: string | null;
  plannedEnd: string | null;
  quantity: number;
  productDefinitionVersion: OrderRow['productDefinitionVersion'] & {
    version: number;
    productDefinition: { code: string };
  };
}

/** An entry of a receiver's JobOrderList (`ISA95JobOrderAndStateDataType`, before OPC UA encoding). */
export interface ListedJobOrder extends JobResponse {
  workMaster: string;
  version: number;
  plannedStart: Date | null;
  plannedEnd: Date | null;
  quantity: number;
}

const responseOf = (o: OrderRow): JobResponse => {
  const material = o.productDefinitionVersion.productDefinition.producedMaterial;
  return {
    jobOrderID: o.number,
    state: o.jobControlState,
    startTime: o.actualStart ? new Date(o.actualStart) : null,
    endTime: o.actualEnd ? new Date(o.actualEnd) : null,
    equipment: o.equipment.path,
    produced: {
      definition: material.code,
      materialClass: material.materialClass?.code ?? null,
      unit: material.unitOfMeasure,
    },
    ...(o.counts ? { counts: { good: o.counts.goodQuantity, scrap: o.counts.scrapQuantity } } : {}),
  };
};

const wrongState = (order: OrderRow, what: string, allowed: JobOrderState[]) =>
  new JobControlRefusal(
    'BadInvalidState',
    `Job order ${order.number} is ${order.jobControlState} and cannot be ${what}; only ${allowed.join(' or ')} can.`,
  );

/** The refusal in an operation's answer: its errors, or a failure member of the first field's result union. */
function refusalOf(r: OperationResult): JobControlRefusal | null {
  const error = r.errors?.[0];
  if (error) {
    const code = String(error.extensions?.code ?? '');
    return new JobControlRefusal(ERROR_STATUS[code] ?? 'BadInternalError', error.message);
  }
  const answer = Object.values(r.data ?? {})[0] as
    | { __typename?: string; message?: string; problems?: { message: string }[] }
    | null
    | undefined;
  if (!answer?.__typename || !('message' in answer) || answer.__typename === 'WorkOrderImport') return null;
  const problems = answer.problems?.map((p) => p.message).join(' ') ?? '';
  return new JobControlRefusal(
    FAILURE_STATUS[answer.__typename] ?? 'BadInvalidArgument',
    problems ? `${answer.message} ${problems}` : answer.message!,
  );
}
