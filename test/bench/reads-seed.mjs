// The plant `npm run bench:reads` reads: equipment and product definitions through the hub's
// GraphQL API, then the bulk rows by SQL (state history and work orders, as many as a plant
// accumulates; going through the API would measure writes, not reads).

const RESULT = '__typename ... on ErrorResult { code message }';
const PRODUCTS = 5;
const CHANGES_PER_MACHINE = 26;
const STATES = ['Running', 'Idle', 'Running', 'Down', 'Running', 'Idle'];

/** Fails on any refusal in a mutation's answer. */
function ok(data) {
  const refused = Object.values(data).find((r) => r && 'code' in r);
  if (refused) throw new Error(`seeding refused: ${JSON.stringify(refused)}`);
}

/**
 * `gql(query, variables)` answers as the hub's API; `db` is a pg client on the same database.
 * Returns the lines' and machines' paths and a one-line summary.
 */
export async function seedPlant(gql, db, { lines, machines, orders }) {
  const create = (inputs) =>
    gql(
      `mutation (${inputs.map((_, i) => `$i${i}: CreateEquipmentInput!`).join(', ')}) {
        ${inputs.map((_, i) => `e${i}: createEquipment(input: $i${i}) { ${RESULT} }`).join('\n')} }`,
      Object.fromEntries(inputs.map((input, i) => [`i${i}`, input])),
    ).then(ok);
  await create([{ code: 'plant', name: 'Plant', level: 'Enterprise' }]);
  await create([{ parentPath: 'plant', code: 'site', name: 'Site', level: 'Site' }]);
  await create([{ parentPath: 'plant/site', code: 'area', name: 'Area', level: 'Area' }]);
  const linePaths = Array.from({ length: lines }, (_, l) => `plant/site/area/line-${String(l + 1).padStart(2, '0')}`);
  await create(
    linePaths.map((p) => ({
      parentPath: 'plant/site/area',
      code: p.split('/').at(-1),
      name: p,
      level: 'ProductionLine',
    })),
  );
  const machinePaths = [];
  for (const line of linePaths) {
    const codes = Array.from({ length: machines }, (_, m) => `m-${String(m + 1).padStart(2, '0')}`);
    await create(codes.map((code) => ({ parentPath: line, code, name: `${line} ${code}`, level: 'WorkCell' })));
    machinePaths.push(...codes.map((c) => `${line}/${c}`));
  }
  ok(
    await gql(
      `mutation { m: createMaterialDefinition(input: { code: "BRACKET", name: "Bracket", unitOfMeasure: "pcs" }) { ${RESULT} } }`,
    ),
  );
  const segments = Array.from({ length: 6 }, (_, s) => ({
    code: `${(s + 1) * 10}-step`,
    name: `Step ${s + 1}`,
    workInstruction: 'Check the fixture, load the part, run the program, inspect the weld seam and record the torque.',
    durationMinutes: 15,
  }));
  for (let p = 1; p <= PRODUCTS; p++)
    ok(
      await gql(
        `mutation ($i: CreateProductDefinitionInput!) { p: createProductDefinition(input: $i) { ${RESULT} } }`,
        {
          i: { code: `PD-${p}`, name: `Bracket type ${p}`, producedMaterial: 'BRACKET', segments },
        },
      ),
    );

  // 26 state changes per machine, a minute apart, the newest last; the machine's state follows.
  await db.query(
    `insert into equipment_state_change (equipment_id, path, state, previous_state, reason, at, source, sequence, applied)
     select e.id, e.path, (array[${STATES.map((s) => `'${s}'`).join(',')}])[1 + n % ${STATES.length}],
            case when n > 0 then (array[${STATES.map((s) => `'${s}'`).join(',')}])[1 + (n - 1) % ${STATES.length}] end,
            case when n % ${STATES.length} = 3 then 'JAM' end,
            now() - interval '1 minute' * (${CHANGES_PER_MACHINE} - n), 'bench:' || e.path, n, true
       from equipment e cross join generate_series(0, ${CHANGES_PER_MACHINE - 1}) n
      where e.level = 'WorkCell' order by n, e.path`,
  );
  await db.query(
    `update equipment e set state = c.state, state_reason = c.reason, state_since = c.at, last_reported_at = c.at
       from (select distinct on (equipment_id) * from equipment_state_change order by equipment_id, id desc) c
      where c.equipment_id = e.id`,
  );
  // Released orders carry their master-record snapshot and assignments (JSONB), as in production.
  await db.query(
    `insert into work_order (id, created_at, updated_at, number, product_definition_version_id, quantity, unit_of_measure,
                             equipment_id, state, state_changed_at, planned_start, snapshot, assignments)
     select gen_random_uuid(), now(), now(), 'WO-' || lpad(n::text, 6, '0'), v.id, 100 + n % 900, 'pcs', l.id,
            'Released', now(), now() + interval '1 hour' * n,
            jsonb_build_object('productDefinition', d.code, 'name', d.name, 'version', v.version,
              'producedMaterial', jsonb_build_object('code', 'BRACKET', 'name', 'Bracket', 'unitOfMeasure', 'pcs'),
              'segments', v.segments, 'takenAt', now()),
            (select jsonb_agg(jsonb_build_object('segment', s->>'code', 'equipment', l.path, 'operators', jsonb_build_array('E1001')))
               from jsonb_array_elements(v.segments) s)
       from generate_series(1, $1::int) n
       join (select v.*, row_number() over (order by v.id) - 1 as k from product_definition_version v) v
         on v.k = n % ${PRODUCTS}
       join product_definition d on d.id = v.product_definition_id
       join (select e.*, row_number() over (order by e.path) - 1 as k from equipment e where e.level = 'ProductionLine') l
         on l.k = n % ${lines}`,
    [orders],
  );
  await db.query('analyze');
  const [{ changes, workOrders }] = (
    await db.query(
      `select (select count(*) from equipment_state_change)::int as changes, (select count(*) from work_order)::int as "workOrders"`,
    )
  ).rows;
  return {
    lines: linePaths,
    machines: machinePaths,
    summary: `1 site, ${lines} lines × ${machines} machines, ${changes.toLocaleString('en')} state changes, ${workOrders.toLocaleString('en')} work orders`,
  };
}
