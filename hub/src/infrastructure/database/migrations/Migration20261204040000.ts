import { Migration } from '@mikro-orm/migrations';
import { JUDGE_STATES, STORE_SIGNALS } from './Migration20261203150000.js';

/**
 * The signal store's answer names its events instead of carrying them (ADR 0068): the hub has every
 * signal it sent, so of each event it needs only what the call decided — its number and id, and for a
 * state change the history row's id and the previous state. The whole events came back as JSON that
 * PostgreSQL wrote and the hub parsed, about 390 bytes per stored signal (`pg`'s parsing was 14 % of the
 * hub's drain). The outbox still gets each event's data from the functions, as before; the hub builds
 * the same data for its own subscribers and the publish (`modules/signals/signal-store.ts`), and
 * `test/ingest-one-call.e2e.test.ts` holds the two equal.
 *
 * The answer's `events` is `{first, ids, states: {n, id, previous}, counts, values, letters, equipment}`:
 * the events are numbered `first`, `first + 1`, … in the order state changes, counts, values, dead
 * letters, each list by its 1-based position in the signals (`letters`: in the letters); `equipment`
 * maps the paths of the batch's equipment to their ids. `plantgraph_store_states` gives the state
 * changes' positions, history ids and previous states (`announced_n`, `announced_id`, `announced_prev`).
 *
 * Written as edits of the functions of migration 20261203150000 (each must match once), so what changed
 * is what this file says.
 */
export class Migration20261204040000 extends Migration {
  override name = 'Migration20261204040000';

  override async up(): Promise<void> {
    // Its result columns change, which `create or replace` cannot do.
    this.addSql('drop function plantgraph_store_states(jsonb, text, boolean);');
    this.addSql(edit(JUDGE_STATES, STATES_EDITS));
    this.addSql(edit(STORE_SIGNALS, SIGNALS_EDITS));
  }

  override async down(): Promise<void> {
    this.addSql('drop function plantgraph_store_states(jsonb, text, boolean);');
    this.addSql(JUDGE_STATES);
    this.addSql(edit(STORE_SIGNALS, [['create function', 'create or replace function']]));
  }
}

type Edit = [from: string, to: string];

function edit(sql: string, edits: Edit[]): string {
  let out = sql;
  for (const [from, to] of edits) {
    const at = out.indexOf(from);
    if (at < 0 || out.indexOf(from, at + 1) >= 0) throw new Error(`migration 20261204040000: not once: ${from}`);
    out = out.slice(0, at) + to + out.slice(at + from.length);
  }
  return out;
}

const STATES_EDITS: Edit[] = [
  [
    'out subjects text[], out data jsonb[], out stored int, out equipment_ids uuid[])',
    `out subjects text[], out data jsonb[], out stored int, out equipment_ids uuid[],
  out announced_n bigint[], out announced_id bigint[], out announced_prev text[])`,
  ],
  [
    "subjects := '{}'; data := '{}'; stored := 0; equipment_ids := '{}';",
    `subjects := '{}'; data := '{}'; stored := 0; equipment_ids := '{}';
  announced_n := '{}'; announced_id := '{}'; announced_prev := '{}';`,
  ],
  [
    `'sequence', h.seq::text, 'applied', true) order by h.n), '{}')
    into subjects, data`,
    `'sequence', h.seq::text, 'applied', true) order by h.n), '{}'),
         coalesce(array_agg(h.n order by h.n), '{}'), coalesce(array_agg(w.id order by h.n), '{}'),
         coalesce(array_agg(h.prev order by h.n), '{}')
    into subjects, data, announced_n, announced_id, announced_prev`,
  ],
];

const SIGNALS_EDITS: Edit[] = [
  ['create function', 'create or replace function'],
  [
    'v_numbered json;',
    `c_n bigint[] := '{}'; v_n bigint[] := '{}'; l_n bigint[] := '{}';
  v_first bigint; v_ids uuid[];`,
  ],
  [
    `count(*), coalesce(array_agg(distinct i.equipment_id), '{}')
      into c_subjects, c_data, v_counted, c_ids`,
    `count(*), coalesce(array_agg(distinct i.equipment_id), '{}'), coalesce(array_agg(i.n order by i.n), '{}')
      into c_subjects, c_data, v_counted, c_ids, c_n`,
  ],
  [
    `count(*)
      into v_subjects, v_data, v_valued`,
    `count(*), coalesce(array_agg(i.n order by i.n), '{}')
      into v_subjects, v_data, v_valued, v_n`,
  ],
  [
    `order by l.n), '{}')
      into l_subjects, l_data`,
    `order by l.n), '{}'),
           coalesce(array_agg(l.n order by l.n), '{}')
      into l_subjects, l_data, l_n`,
  ],
  [
    "'{}'::uuid[] as equipment_ids into states;",
    `'{}'::uuid[] as equipment_ids,
           '{}'::bigint[] as announced_n, '{}'::bigint[] as announced_id, '{}'::text[] as announced_prev into states;`,
  ],
  [
    `select json_agg(json_build_object('seq', seq, 'eventId', event_id, 'subject', subject, 'data', data) order by seq)
      into v_numbered from numbered;`,
    'select min(seq), array_agg(event_id order by seq) into v_first, v_ids from numbered;',
  ],
  [
    `'events', coalesce(v_numbered, '[]'::json),`,
    `'events', json_build_object(
      'first', v_first, 'ids', coalesce(v_ids, '{}'),
      'states', json_build_object('n', states.announced_n, 'id', states.announced_id,
                                  'previous', states.announced_prev),
      'counts', c_n, 'values', v_n, 'letters', l_n,
      'equipment', (select json_object_agg(e.path, e.id) from unnest(eq_path, eq_id) as e(path, id)
                     where cardinality(states.announced_n) > 0)),`,
  ],
];
