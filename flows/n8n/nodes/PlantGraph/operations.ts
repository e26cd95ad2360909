import type { IDataObject } from 'n8n-workflow';

/** Reads a node parameter of the current item (`this.getNodeParameter` in the node, a map in the tests). */
export type Param = (name: string, fallback?: unknown) => unknown;

/**
 * One operation of the node as data: the GraphQL document, its variables from the parameters, where the
 * answer is, which union member means success (any other member is the hub's coded failure), and for
 * lists the connection to page through. Pure, so each is unit-tested without n8n.
 */
export interface Operation {
  document: string;
  variables(p: Param): IDataObject;
  /** The field of `data` holding the answer. */
  field: string;
  /** The `__typename` of success when the field is a result union. */
  success?: string;
  /** A connection (`edges { node }`, `pageInfo`): "Return All" pages through it. */
  paged?: boolean;
  /** A missing record (a null answer) is an error rather than no item. */
  required?: string;
  /** Turns the answer into the item's JSON (default: as is). */
  map?(value: IDataObject): IDataObject | IDataObject[];
}

export const FAILURE = '... on ErrorResult { code message }';
const ALERT =
  'id path deduplicationKey severity title description state raisedBy raisedAt lastRaisedAt occurrences ' +
  'acknowledgedBy acknowledgedAt acknowledgeComment clearedBy clearedAt escalationLevel nextEscalationAt';
const WORK_ORDER =
  'id number externalReference quantity unitOfMeasure state stateChangedAt stateReason plannedStart ' +
  'plannedEnd actualStart actualEnd producedLot equipment { path } productDefinitionVersion { version ' +
  'productDefinition { code } } counts { good scrap rework }';
const EQUIPMENT =
  'id path code name level state stateReason stateSince lastReportedAt condition conditionBlocking ' +
  'equipmentClass { code } parent { path }';
const LOT =
  'id lotNumber quantity unitOfMeasure status expiresAt expired genealogyLockedAt ' +
  'materialDefinition { code } location { path }';
const GENEALOGY = 'lotNumber via quantity depth lot { status quantity unitOfMeasure materialDefinition { code } }';
const PAGE = 'pageInfo { hasNextPage endCursor }';

const str = (p: Param, name: string): string => String(p(name, '') ?? '').trim();
const optional = (p: Param, name: string): string | undefined => str(p, name) || undefined;
const list = (p: Param, name: string): string[] | undefined => {
  const value = p(name, []);
  const values = Array.isArray(value) ? value.map(String).filter(Boolean) : [];
  return values.length ? values : undefined;
};
/** Drops empty members so the hub's defaults apply. */
const compact = (o: IDataObject): IDataObject =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && v !== null));
const flatten = (o: IDataObject): IDataObject => {
  const out: IDataObject = { ...o };
  for (const [k, v] of Object.entries(o)) {
    // `equipment { path }` → `equipment: "…/press-1"`: what workflows compare and show.
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
      const only = Object.values(v as IDataObject)[0];
      if (typeof only !== 'object' || only === null) out[k] = only;
    }
  }
  return out;
};
const transition = (mutation: string, withReason: boolean): Operation => ({
  document: `mutation ($input: WorkOrderTransitionInput!) { ${mutation}(input: $input) {
    __typename ... on WorkOrder { ${WORK_ORDER} } ${FAILURE} } }`,
  variables: (p) => ({
    input: compact({ number: str(p, 'number'), reason: withReason ? str(p, 'reason') : undefined }),
  }),
  field: mutation,
  success: 'WorkOrder',
  map: flatten,
});

export const OPERATIONS: Record<string, Record<string, Operation>> = {
  workOrder: {
    get: {
      document: `query ($number: String!) { workOrder(number: $number) { ${WORK_ORDER} } }`,
      variables: (p) => ({ number: str(p, 'number') }),
      field: 'workOrder',
      required: 'work order',
      map: flatten,
    },
    getAll: {
      document: `query ($first: Int!, $after: String, $filter: WorkOrderFilter) {
        workOrders(first: $first, after: $after, filter: $filter) { edges { node { ${WORK_ORDER} } } ${PAGE} } }`,
      variables: (p) => ({
        filter: compact({
          state: list(p, 'states'),
          equipmentPrefix: optional(p, 'equipmentPrefix'),
          productDefinition: optional(p, 'productDefinition'),
        }),
      }),
      field: 'workOrders',
      paged: true,
      map: flatten,
    },
    create: {
      document: `mutation ($input: CreateWorkOrderInput!) { createWorkOrder(input: $input) {
        __typename ... on WorkOrder { ${WORK_ORDER} } ${FAILURE} } }`,
      variables: (p) => ({
        input: compact({
          number: str(p, 'number'),
          productDefinition: str(p, 'productDefinition'),
          quantity: Number(p('quantity', 0)),
          equipment: str(p, 'equipment'),
          version: p('version', 0) ? Number(p('version', 0)) : undefined,
          plannedStart: optional(p, 'plannedStart'),
          plannedEnd: optional(p, 'plannedEnd'),
        }),
      }),
      field: 'createWorkOrder',
      success: 'WorkOrder',
      map: flatten,
    },
    release: {
      document: `mutation ($input: ReleaseWorkOrderInput!) { releaseWorkOrder(input: $input) {
        __typename ... on WorkOrder { ${WORK_ORDER} } ... on ReleaseBlocked { problems { code message } } ${FAILURE} } }`,
      variables: (p) => ({ input: { number: str(p, 'number'), assignments: assignments(p) } }),
      field: 'releaseWorkOrder',
      success: 'WorkOrder',
      map: flatten,
    },
    pause: transition('pauseWorkOrder', true),
    resume: transition('resumeWorkOrder', false),
    cancel: transition('cancelWorkOrder', true),
  },
  alert: {
    raise: {
      document: `mutation ($input: RaiseAlertInput!) { raiseAlert(input: $input) {
        __typename ... on Alert { ${ALERT} } ${FAILURE} } }`,
      variables: (p) => ({
        input: compact({
          path: str(p, 'path'),
          deduplicationKey: str(p, 'deduplicationKey'),
          severity: str(p, 'severity'),
          title: str(p, 'title'),
          description: optional(p, 'description'),
          escalateAfterSeconds: p('escalateAfterSeconds', 0) ? Number(p('escalateAfterSeconds', 0)) : undefined,
        }),
      }),
      field: 'raiseAlert',
      success: 'Alert',
    },
    acknowledge: {
      document: `mutation ($id: ID!, $comment: String!) { acknowledgeAlert(id: $id, comment: $comment) {
        __typename ... on Alert { ${ALERT} } ${FAILURE} } }`,
      variables: (p) => ({ id: str(p, 'alertId'), comment: str(p, 'comment') }),
      field: 'acknowledgeAlert',
      success: 'Alert',
    },
    clear: {
      document: `mutation ($id: ID!, $comment: String) { clearAlert(id: $id, comment: $comment) {
        __typename ... on Alert { ${ALERT} } ${FAILURE} } }`,
      variables: (p) => compact({ id: str(p, 'alertId'), comment: optional(p, 'comment') }),
      field: 'clearAlert',
      success: 'Alert',
    },
    getAll: {
      document: `query ($first: Int!, $after: String, $filter: AlertFilter) {
        alerts(first: $first, after: $after, filter: $filter) { edges { node { ${ALERT} } } ${PAGE} } }`,
      variables: (p) => ({
        filter: compact({
          pathPrefix: optional(p, 'pathPrefix'),
          state: list(p, 'alertStates'),
          minSeverity: optional(p, 'minSeverity'),
        }),
      }),
      field: 'alerts',
      paged: true,
    },
  },
  equipment: {
    get: {
      document: `query ($path: String!) { equipment(path: $path) { ${EQUIPMENT} } }`,
      variables: (p) => ({ path: str(p, 'path') }),
      field: 'equipment',
      required: 'equipment',
      map: flatten,
    },
    getAll: {
      document: `query ($first: Int!, $after: String, $filter: EquipmentFilter) {
        equipmentList(first: $first, after: $after, filter: $filter) { edges { node { ${EQUIPMENT} } } ${PAGE} } }`,
      variables: (p) => ({
        filter: compact({ pathPrefix: optional(p, 'pathPrefix'), state: list(p, 'equipmentStates') }),
      }),
      field: 'equipmentList',
      paged: true,
      map: flatten,
    },
    stateHistory: {
      document: `query ($path: String!, $first: Int!, $after: String) { equipment(path: $path) {
        path stateHistory(first: $first, after: $after) { edges { node { id path state previousState reason at
        source applied } } ${PAGE} } } }`,
      variables: (p) => ({ path: str(p, 'path') }),
      field: 'equipment.stateHistory',
      required: 'equipment',
      paged: true,
    },
  },
  signal: {
    publish: {
      document: `mutation ($signals: [EquipmentSignalInput!]!) { publishSignals(signals: $signals) {
        __typename ... on SignalsPublished { accepted } ${FAILURE} } }`,
      variables: (p) => ({ signals: [signal(p)] }),
      field: 'publishSignals',
      success: 'SignalsPublished',
    },
  },
  materialLot: {
    get: {
      document: `query ($lotNumber: String!) { materialLot(lotNumber: $lotNumber) { ${LOT} } }`,
      variables: (p) => ({ lotNumber: str(p, 'lotNumber') }),
      field: 'materialLot',
      required: 'material lot',
      map: flatten,
    },
    genealogy: {
      document: `query ($lotNumber: String!) { materialLot(lotNumber: $lotNumber) {
        lotNumber genealogyInputs { ${GENEALOGY} } genealogyOutputs { ${GENEALOGY} } } }`,
      variables: (p) => ({ lotNumber: str(p, 'lotNumber') }),
      field: 'materialLot',
      required: 'material lot',
    },
  },
};

/** Genealogy: one item per linked lot, up (what went in) or down (where it went). */
export function genealogyItems(lot: IDataObject, direction: string): IDataObject[] {
  const links = (direction === 'down' ? lot.genealogyOutputs : lot.genealogyInputs) as IDataObject[];
  return links.map((l) => ({
    ofLot: lot.lotNumber,
    direction,
    ...flatten(l),
    lot: l.lot ? flatten(l.lot as IDataObject) : null,
  }));
}

function assignments(p: Param): IDataObject[] {
  const raw = p('assignments', {}) as { assignment?: IDataObject[] };
  return (raw.assignment ?? []).map((a) => ({
    segment: String(a.segment ?? ''),
    equipment: String(a.equipment ?? ''),
    operators: String(a.operators ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  }));
}

/** One machine signal; a source and sequence from the workflow make re-sends harmless (the hub dedupes). */
function signal(p: Param): IDataObject {
  const kind = str(p, 'kind');
  const base = {
    kind,
    path: str(p, 'path'),
    source: str(p, 'source'),
    sequence: Number(p('sequence', 0)),
    at: optional(p, 'at'),
  };
  if (kind === 'State') return compact({ ...base, state: str(p, 'state'), reason: optional(p, 'reason') });
  if (kind === 'Count')
    return compact({
      ...base,
      good: Number(p('good', 0)),
      scrap: Number(p('scrap', 0)),
      rework: Number(p('rework', 0)),
    });
  return compact({ ...base, name: str(p, 'name'), value: Number(p('value', 0)), unit: optional(p, 'unit') });
}

/** The GraphQL escape hatch: the document as typed, variables as JSON text or an object from the item. */
export function customOperation(p: Param): Operation {
  const raw = p('variables', '{}');
  let variables: IDataObject;
  if (typeof raw === 'string') {
    variables = raw.trim() ? (JSON.parse(raw) as IDataObject) : {};
  } else {
    variables = (raw ?? {}) as IDataObject;
  }
  return { document: str(p, 'query'), variables: () => variables, field: '' };
}

/** The value at a dotted path of `data` (`equipment.stateHistory`). */
export function valueAt(data: IDataObject, path: string): unknown {
  if (!path) return data;
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as IDataObject)[k] : undefined), data);
}

/** The hub's coded failure in a result union, or null on success. */
export function unionFailure(
  op: Operation,
  value: IDataObject,
): { typename: string; code: string; message: string; details: IDataObject } | null {
  if (!op.success || value.__typename === op.success) return null;
  const { __typename, code, message, ...details } = value;
  return {
    typename: String(__typename),
    code: String(code ?? __typename),
    message: String(message ?? __typename),
    details,
  };
}

/** A connection's nodes and where the next page starts. */
export function pageOf(value: IDataObject): { nodes: IDataObject[]; next: string | null } {
  const edges = (value.edges ?? []) as { node: IDataObject }[];
  const info = (value.pageInfo ?? {}) as { hasNextPage?: boolean; endCursor?: string | null };
  return { nodes: edges.map((e) => e.node), next: info.hasNextPage && info.endCursor ? info.endCursor : null };
}

/** The answer as items: a record, or the mapped nodes of a page, without the union's `__typename`. */
export function toItems(op: Operation, value: IDataObject | IDataObject[]): IDataObject[] {
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => {
    const rest = { ...v };
    delete rest.__typename;
    const mapped = op.map ? op.map(rest) : rest;
    return Array.isArray(mapped) ? mapped : [mapped];
  });
}
