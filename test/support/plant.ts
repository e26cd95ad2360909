import type { TestHub } from './harness.js';
import { devIdpToken } from './idp.js';

/** Row counts of every table the model owns, to prove a failed mutation changed nothing. */
export async function tableCounts(hub: TestHub): Promise<Record<string, number>> {
  const tables = [
    'equipment',
    'equipment_class',
    'equipment_state_change',
    'material_class',
    'material_definition',
    'material_lot',
    'material_sublot',
    'personnel_class',
    'person',
    'person_personnel_classes',
    'qualification',
    'product_definition',
    'product_definition_version',
    'work_order',
    'material_reservation',
    'step_record',
    'deviation',
    'electronic_signature',
    'equipment_condition_record',
    'audit_record',
    'schedule_entry',
    'changeover_rule',
    'product_scheduling_profile',
    'planned_downtime',
  ];
  const rows = await hub.db.em
    .fork()
    .execute<{ t: string; n: string }[]>(
      tables.map((t) => `select '${t}' as t, count(*) as n from ${t}`).join(' union all '),
    );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/**
 * Statements the hub runs on its own schedules: the event relay and feed, the readiness probe,
 * escalation, the calibration check (as the reads bench leaves them out).
 */
const BACKGROUND = /event_outbox|^select 1$|escalation_level|connector_|"condition_due_at" <=/;

/**
 * Counts SQL statements the hub runs while `work` runs, leaving out the event relay's and feed's
 * own (numbering and reading the outbox runs on its own schedule, not for a request).
 */
export async function countStatements(hub: TestHub, work: () => Promise<unknown>): Promise<number> {
  return (await recordStatements(hub, work)).filter((sql) => !BACKGROUND.test(sql)).length;
}

/** The text of every SQL statement the hub runs while `work` runs, in order. */
export async function recordStatements(hub: TestHub, work: () => Promise<unknown>): Promise<string[]> {
  // `executeQuery`: the ORM's statements and those bound by the driver (`executeBound`, compiled reads) alike.
  const connection = hub.db.em.getDriver().getConnection() as unknown as {
    executeQuery: (...args: unknown[]) => Promise<unknown>;
  };
  const original = connection.executeQuery;
  const statements: string[] = [];
  connection.executeQuery = function (this: unknown, ...args: unknown[]) {
    statements.push(String(args[0]));
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    connection.executeQuery = original;
  }
  return statements;
}

export const RESULT = `__typename ... on ErrorResult { code message }`;

/**
 * A line for OEE tests: `<root>/site/area/line` with the `machines` as work cells of one class
 * with the ideal cycle time; fails the test on any refusal.
 */
export async function createOeeLine(
  gql: (query: string, variables?: Record<string, unknown>) => Promise<unknown>,
  root: string,
  machines: string[],
  idealCycleTimeSeconds: number,
): Promise<void> {
  const ok = (r: unknown) => {
    if (JSON.stringify(r).includes('"code"')) throw new Error(`refused: ${JSON.stringify(r)}`);
  };
  ok(
    await gql(
      'mutation ($i: CreateEquipmentClassInput!) { r: createEquipmentClass(input: $i) { __typename ... on ErrorResult { code message } } }',
      { i: { code: `${root}-machine`, idealCycleTimeSeconds } },
    ),
  );
  for (const [parent, code, level, cls] of [
    [null, root, 'Enterprise'],
    [root, 'site', 'Site'],
    [`${root}/site`, 'area', 'Area'],
    [`${root}/site/area`, 'line', 'ProductionLine'],
    ...machines.map((m) => [`${root}/site/area/line`, m, 'WorkCell', `${root}-machine`]),
  ] as const) {
    ok(
      await gql(
        'mutation ($i: CreateEquipmentInput!) { r: createEquipment(input: $i) { __typename ... on ErrorResult { code message } } }',
        { i: { parentPath: parent, code, name: code, level, equipmentClass: cls ?? null } },
      ),
    );
  }
}

/**
 * Takes a Draft master-record version to Active the regulated way (ADR 0015), with the demo's
 * people signed in at the hub's development identity provider: submitted by the caller (the admin
 * key), reviewed by Kai Schmidt (engineer), approved by Ines Moreau (quality), then activated.
 */
export async function activateVersion(hub: TestHub, id: string): Promise<void> {
  const move = async (state: string, signature?: object) => {
    const { r } = await hub.gql(
      `mutation ($i: TransitionProductDefinitionVersionInput!) { r: transitionProductDefinitionVersion(input: $i) { ${RESULT} } }`,
      { i: { id, state, signature } },
    );
    if (r.__typename !== 'ProductDefinitionVersion') throw new Error(`${state} refused: ${r.message}`);
  };
  await move('ForReview');
  const { r } = await hub.gql(
    `mutation ($id: ID!, $s: SignatureInput!) { r: reviewProductDefinitionVersion(id: $id, signature: $s) { ${RESULT} } }`,
    { id, s: { token: await devIdpToken(hub, 'E3002'), meaning: 'Review' } },
  );
  if (r.__typename !== 'ProductDefinitionVersion') throw new Error(`review refused: ${r.message}`);
  await move('Approved', { token: await devIdpToken(hub, 'E2003'), meaning: 'Approval' });
  await move('Active');
}
