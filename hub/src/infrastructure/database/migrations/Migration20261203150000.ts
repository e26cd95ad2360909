import { Migration } from '@mikro-orm/migrations';

/**
 * A batch of machine signals stored by one call, so one round trip (ADR 0062): the hub's ingest sent
 * five statements per batch and its transaction held the equipment rows and, last, the outbox head's
 * lock across the round trips in between, so lanes took turns at the head for the length of a commit's
 * round trip. Here every statement runs inside the server and the head's lock is held only from the
 * outbox insert to the commit that follows it at once.
 *
 * `plantgraph_store_signals(signals, letters, subjects)`:
 * - `signals`: a JSON array in the batch's order, each `{k, path, at, source, sequence}` (`at` an ISO
 *   time with milliseconds, as the event carries it) and by kind (`k`) `state, reason` (state),
 *   `good, scrap, rework, cycleTimeMs` (count, cycle) or `name, value, unit` (value).
 * - `letters`: dead letters as `{subject, type, data}`; those with `i` (a signal's 1-based position)
 *   are written only if that signal's equipment does not exist, the others always. A signal whose
 *   path no equipment has and that has no letter makes the call write nothing and answer
 *   `{unknown: [paths]}`: the hub writes the letters (their payload is the raw delivery) and calls again.
 * - `subjects`: the subject prefixes of the events, by kind (`state`, `count`, `value`); a path's
 *   tokens follow them (`/` becomes `.`, as `pathTokens`).
 * It answers `{events: [{seq, eventId, subject, data}], stored, duplicates, unknown: [positions],
 * equipmentIds}`, the events numbered in the outbox as `recordEvents` numbers them (ADR 0051).
 *
 * Counts and values are new by their unique (source, sequence). States are judged by the one writer
 * of equipment state, `plantgraph_store_states` (the mutation calls it too): against the equipment
 * rows locked in path order, every new one joins the history at its own time, a late one does not move
 * the current state, a signal seen before changes nothing (ADR 0023). The history is
 * first written without looking for signals it holds (ADR 0055: a stream re-delivers rarely); its
 * unique key refuses a re-delivered one and the states are judged again, looking, in the same call.
 */
export class Migration20261203150000 extends Migration {
  override name = 'Migration20261203150000';

  override async up(): Promise<void> {
    this.addSql(JUDGE_STATES);
    this.addSql(STORE_SIGNALS);
  }

  override async down(): Promise<void> {
    this.addSql('drop function plantgraph_store_signals(jsonb, jsonb, jsonb);');
    this.addSql('drop function plantgraph_store_states(jsonb, text, boolean);');
  }
}

/**
 * The one writer of equipment state (ADR 0062), for the ingest and the `setEquipmentState` mutation:
 * the reports of kind `state` in `p_reports` (a report by hand has no `sequence`), judged in order
 * against the equipment rows, which the caller has locked in path order, and written: history rows,
 * current states. Gives the `EquipmentStateChanged` events of the reports that changed a current state
 * (`subjects`, `data`; unnumbered: the caller records them), the rows `stored` and the `equipment_ids`.
 * Events travel as arrays, not `jsonb_agg`: that aggregate re-encodes every value it collects and cost
 * PostgreSQL 11 µs per event here.
 */
export const JUDGE_STATES = `
create function plantgraph_store_states(p_reports jsonb, p_subject text, p_look boolean,
  out subjects text[], out data jsonb[], out stored int, out equipment_ids uuid[])
language plpgsql as $$
declare
  r record;
  cur_path text; cur_id uuid; cur_state text; cur_reason text; cur_since timestamptz; cur_last timestamptz;
  moved boolean := false; newer boolean; same boolean;
  h_eq uuid[] := '{}'; h_path text[] := '{}'; h_state text[] := '{}'; h_prev text[] := '{}';
  h_reason text[] := '{}'; h_at timestamptz[] := '{}'; h_at_text text[] := '{}'; h_source text[] := '{}';
  h_seq bigint[] := '{}'; h_applied boolean[] := '{}'; h_announce boolean[] := '{}'; h_n bigint[] := '{}';
  m_id uuid[] := '{}'; m_state text[] := '{}'; m_reason text[] := '{}';
  m_since timestamptz[] := '{}'; m_last timestamptz[] := '{}';
begin
  subjects := '{}'; data := '{}'; stored := 0; equipment_ids := '{}';
  -- Each equipment's reports together and in the given order; a signal's key seen earlier in the
  -- reports, or (when looking) in the history, is a duplicate.
  for r in
    select x.n, x.path, x.state, x.reason, x.at as at_text, x.at::timestamptz as at, x.source, x.sequence as seq,
           e.id, e.state as e_state, e.state_reason, e.state_since, e.last_reported_at,
           case when x.sequence is null then false
                else row_number() over (partition by x.source, x.sequence order by x.n) > 1
                     or case when p_look then exists (select 1 from equipment_state_change c
                                                        where c.source = x.source and c.sequence = x.sequence)
                             else false end end as duplicate
      from rows from (jsonb_to_recordset(p_reports)
                        as (k text, path text, state text, reason text, at text, source text, sequence bigint))
             with ordinality as x(k, path, state, reason, at, source, sequence, n)
      join equipment e on e.path = x.path
     where x.k = 'state'
     order by x.path, x.n
  loop
    if cur_path is distinct from r.path then
      if moved then
        m_id := m_id || cur_id; m_state := m_state || cur_state; m_reason := m_reason || cur_reason;
        m_since := m_since || cur_since; m_last := m_last || cur_last;
      end if;
      cur_path := r.path; cur_id := r.id; cur_state := r.e_state; cur_reason := r.state_reason;
      cur_since := r.state_since; cur_last := r.last_reported_at; moved := false;
    end if;
    continue when r.duplicate;
    -- Newer than the newest report so far (any first report is), and whether it repeats the state.
    newer := cur_last is null or r.at >= cur_last;
    same := cur_state = r.state and cur_reason is not distinct from r.reason;
    -- A report by hand (no sequence) that repeats the current state is a no-op.
    continue when r.seq is null and newer and same;
    h_eq := h_eq || cur_id; h_path := h_path || r.path; h_state := h_state || r.state;
    h_prev := h_prev || case when newer then cur_state end; h_reason := h_reason || r.reason;
    h_at := h_at || r.at; h_at_text := h_at_text || r.at_text; h_source := h_source || r.source;
    h_seq := h_seq || r.seq; h_applied := h_applied || newer; h_announce := h_announce || (newer and not same);
    h_n := h_n || r.n;
    if newer then
      cur_last := r.at; moved := true;
      if not same then cur_state := r.state; cur_reason := r.reason; cur_since := r.at; end if;
    end if;
  end loop;
  if moved then
    m_id := m_id || cur_id; m_state := m_state || cur_state; m_reason := m_reason || cur_reason;
    m_since := m_since || cur_since; m_last := m_last || cur_last;
  end if;
  stored := cardinality(h_eq);
  if stored = 0 then return; end if;

  update equipment e set state = u.state, state_reason = u.reason, state_since = u.since,
         last_reported_at = u.last, updated_at = now()
    from unnest(m_id, m_state, m_reason, m_since, m_last) as u(id, state, reason, since, last)
   where e.id = u.id;
  with h as (
    select * from unnest(h_eq, h_path, h_state, h_prev, h_reason, h_at, h_at_text, h_source, h_seq, h_applied,
                         h_announce, h_n)
             as h(eq, path, state, prev, reason, at, at_text, source, seq, applied, announce, n)),
  written as (
    insert into equipment_state_change (equipment_id, path, state, previous_state, reason, at, source, sequence, applied)
    select eq, path, state, prev, reason, at, source, seq, applied from h order by n
    returning id, source, sequence)
  select coalesce(array_agg(p_subject || replace(h.path, '/', '.') order by h.n), '{}'),
         coalesce(array_agg(jsonb_build_object('type', 'EquipmentStateChanged', 'id', w.id::text, 'equipmentId', h.eq,
                                               'path', h.path, 'state', h.state, 'previousState', h.prev,
                                               'reason', h.reason, 'at', h.at_text, 'source', h.source,
                                               'sequence', h.seq::text, 'applied', true) order by h.n), '{}')
    into subjects, data
    from h join written w on w.source = h.source and coalesce(w.sequence, -1) = coalesce(h.seq, -1)
   where h.announce;
  select array_agg(distinct id) into equipment_ids from unnest(h_eq) as id;
end $$;`;

export const STORE_SIGNALS = `
create function plantgraph_store_signals(p_signals jsonb, p_letters jsonb, p_subjects jsonb) returns json
language plpgsql as $$
declare
  s_k text[]; s_path text[]; s_at text[]; s_source text[]; s_seq bigint[];
  s_good int[]; s_scrap int[]; s_rework int[]; s_cycle double precision[];
  s_name text[]; s_value numeric[]; s_unit text[];
  eq_path text[] := '{}'; eq_id uuid[] := '{}';
  v_known int; v_unknown int[]; v_unknown_paths text[];
  states record;
  c_subjects text[] := '{}'; c_data jsonb[] := '{}'; c_ids uuid[] := '{}'; v_counted int := 0;
  v_subjects text[] := '{}'; v_data jsonb[] := '{}'; v_valued int := 0;
  l_subjects text[] := '{}'; l_data jsonb[] := '{}';
  ev_subjects text[]; ev_data jsonb[];
  v_numbered json;
begin
  -- The signals as columns, parsed once, in the batch's order.
  select coalesce(array_agg(k), '{}'), coalesce(array_agg(path), '{}'), coalesce(array_agg(at), '{}'),
         coalesce(array_agg(source), '{}'), coalesce(array_agg(sequence), '{}'), coalesce(array_agg(good), '{}'),
         coalesce(array_agg(scrap), '{}'), coalesce(array_agg(rework), '{}'), coalesce(array_agg(cycle), '{}'),
         coalesce(array_agg(name), '{}'), coalesce(array_agg(value), '{}'), coalesce(array_agg(unit), '{}')
    into s_k, s_path, s_at, s_source, s_seq, s_good, s_scrap, s_rework, s_cycle, s_name, s_value, s_unit
    from (select * from rows from (jsonb_to_recordset(p_signals)
            as (k text, path text, at text, source text, sequence bigint, good int, scrap int, rework int,
                "cycleTimeMs" double precision, name text, value numeric, unit text))
            with ordinality as x(k, path, at, source, sequence, good, scrap, rework, cycle, name, value, unit, n)
           order by n) x;

  -- The equipment rows in path order, locked when states will move them (writers take turns).
  if 'state' = any(s_k) then
    select coalesce(array_agg(path), '{}'), coalesce(array_agg(id), '{}') into eq_path, eq_id
      from (select id, path from equipment where path in (select unnest(s_path)) order by path for update) e;
  else
    select coalesce(array_agg(path), '{}'), coalesce(array_agg(id), '{}') into eq_path, eq_id
      from equipment where path in (select unnest(s_path));
  end if;

  select count(e.path), array_agg(s.n - 1 order by s.n) filter (where e.path is null),
         array_agg(distinct s.path) filter (where e.path is null and not exists (
           select 1 from jsonb_array_elements(p_letters) l where (l->>'i')::bigint = s.n))
    into v_known, v_unknown, v_unknown_paths
    from unnest(s_path) with ordinality as s(path, n) left join unnest(eq_path) as e(path) on e.path = s.path;
  if v_unknown_paths is not null then return json_build_object('unknownPaths', v_unknown_paths); end if;

  if 'count' = any(s_k) or 'cycle' = any(s_k) then
    with input as (
      select distinct on (s.source, s.seq) s.*, e.id as equipment_id
        from unnest(s_k, s_path, s_at, s_source, s_seq, s_good, s_scrap, s_rework, s_cycle) with ordinality
               as s(k, path, at, source, seq, good, scrap, rework, cycle, n)
        join unnest(eq_path, eq_id) as e(path, id) on e.path = s.path
       where s.k in ('count', 'cycle')
       order by s.source, s.seq, s.n),
    written as (
      insert into production_count (equipment_id, path, at, good, scrap, rework, cycle_time_ms, source, sequence)
      select equipment_id, path, at::timestamptz, good, scrap, rework, cycle, source, seq from input order by n
      on conflict (source, sequence) do nothing
      returning source, sequence)
    select coalesce(array_agg((p_subjects->>'count') || replace(i.path, '/', '.') order by i.n), '{}'),
           coalesce(array_agg(jsonb_build_object('type', 'ProductionCounted', 'path', i.path, 'good', i.good,
                                                 'scrap', i.scrap, 'rework', i.rework, 'cycleTimeMs', i.cycle,
                                                 'at', i.at) order by i.n), '{}'),
           count(*), coalesce(array_agg(distinct i.equipment_id), '{}')
      into c_subjects, c_data, v_counted, c_ids
      from input i join written w on w.source = i.source and w.sequence = i.seq;
  end if;

  if 'value' = any(s_k) then
    with input as (
      select distinct on (s.source, s.seq) s.*, e.id as equipment_id
        from unnest(s_k, s_path, s_at, s_source, s_seq, s_name, s_value, s_unit) with ordinality
               as s(k, path, at, source, seq, name, value, unit, n)
        join unnest(eq_path, eq_id) as e(path, id) on e.path = s.path
       where s.k = 'value'
       order by s.source, s.seq, s.n),
    written as (
      insert into process_value (equipment_id, path, name, value, unit, at, source, sequence)
      select equipment_id, path, name, value, unit, at::timestamptz, source, seq from input order by n
      on conflict (source, sequence) do nothing
      returning source, sequence)
    select coalesce(array_agg((p_subjects->>'value') || replace(i.path, '/', '.') order by i.n), '{}'),
           coalesce(array_agg(jsonb_build_object('type', 'ProcessValueReported', 'path', i.path, 'name', i.name,
                                                 'value', i.value, 'unit', i.unit, 'at', i.at) order by i.n), '{}'),
           count(*)
      into v_subjects, v_data, v_valued
      from input i join written w on w.source = i.source and w.sequence = i.seq;
  end if;

  if 'state' = any(s_k) then
    begin
      select * into states from plantgraph_store_states(p_signals, p_subjects->>'state', false);
    exception when unique_violation then
      -- A state signal the history holds (re-delivered, or stored by another replica meanwhile).
      select * into states from plantgraph_store_states(p_signals, p_subjects->>'state', true);
    end;
  else
    select '{}'::text[] as subjects, '{}'::jsonb[] as data, 0 as stored, '{}'::uuid[] as equipment_ids into states;
  end if;

  -- Dead letters: those before the store, then those of signals whose equipment does not exist.
  if jsonb_array_length(p_letters) > 0 then
    select coalesce(array_agg(l.l->>'subject' order by l.n), '{}'),
           coalesce(array_agg(jsonb_build_object('type', l.l->>'type') || (l.l->'data') order by l.n), '{}')
      into l_subjects, l_data
      from jsonb_array_elements(p_letters) with ordinality as l(l, n)
     where l.l->'i' is null or jsonb_typeof(l.l->'i') = 'null' or not (s_path[(l.l->>'i')::int] = any(eq_path));
  end if;

  ev_subjects := states.subjects || c_subjects || v_subjects || l_subjects;
  ev_data := states.data || c_data || v_data || l_data;
  if cardinality(ev_subjects) > 0 then
    -- Numbered as recordEvents numbers (ADR 0051): the head's lock last, held to the commit that follows.
    with head as (update event_outbox_head set last_seq = last_seq + cardinality(ev_subjects) where id = 1
                  returning last_seq - cardinality(ev_subjects) as base),
    numbered as (
      select head.base + e.n as seq, gen_random_uuid() as event_id, e.subject, e.data
        from head, unnest(ev_subjects, ev_data) with ordinality as e(subject, data, n)),
    written as (
      insert into event_outbox (seq, event_id, subject, type, path, data)
      select seq, event_id, subject, data->>'type',
             case when jsonb_typeof(data->'path') = 'string' then data->>'path' end, data
        from numbered)
    select json_agg(json_build_object('seq', seq, 'eventId', event_id, 'subject', subject, 'data', data) order by seq)
      into v_numbered from numbered;
  end if;

  return json_build_object(
    'events', coalesce(v_numbered, '[]'::json),
    'stored', v_counted + v_valued + states.stored,
    'duplicates', v_known - v_counted - v_valued - states.stored,
    'unknown', coalesce(to_json(v_unknown), '[]'::json),
    'equipmentIds', (select coalesce(json_agg(distinct id), '[]'::json)
                       from unnest(states.equipment_ids || c_ids) as id));
end $$;`;
