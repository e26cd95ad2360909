import { executeBound, type Tx } from '../../infrastructure/database/database.js';
import { type EquipmentStateRow, toStateRow } from '../equipment/equipment-state.js';

const json = (rows: unknown[]) => JSON.stringify(rows);
const keyOf = (source: string, sequence: number | string) => `${source}\u0000${sequence}`;

/**
 * One round trip before the batch's states are judged: locks the equipment rows at `paths` in path
 * order (so that writers of the same equipment take turns without deadlocks, as `lockEquipment`),
 * and finds which of the state signals `keys` the history already holds. Both read the statement's
 * one snapshot, taken before any wait for a lock: a duplicate committed by another replica while
 * this one waited is not seen, and the history's unique (source, sequence) refuses the batch
 * instead (`isDuplicateStateSignal`: the ingest stores it again at once).
 */
export async function lockForStateSignals(
  tx: Tx,
  paths: string[],
  keys: { source: string; sequence: number }[],
): Promise<{ equipment: Map<string, EquipmentStateRow>; seen: Set<string> }> {
  const rows = await executeBound<{
    id: string | null;
    path: string;
    state: string;
    state_reason: string | null;
    state_since: Date;
    last_reported_at: Date | null;
    source: string | null;
    sequence: string | null;
  }>(
    tx,
    `with locked as (select id, path, state, state_reason, state_since, last_reported_at from equipment
                      where path in (select jsonb_array_elements_text($1::jsonb))
                      order by path for update)
     select id::text as id, path, state, state_reason, state_since, last_reported_at,
            null::text as source, null::text as sequence from locked
     union all
     select null, null, null, null, null, null, source::text, sequence::text from equipment_state_change
      where (source, sequence) in (select source, sequence from jsonb_to_recordset($2::jsonb) as k(source text, sequence bigint))`,
    [json([...new Set(paths)].sort()), json(keys)],
  );
  const equipment = new Map<string, EquipmentStateRow>();
  const seen = new Set<string>();
  for (const r of rows)
    if (r.id === null) seen.add(keyOf(r.source!, r.sequence!));
    else equipment.set(r.path, toStateRow(r as Parameters<typeof toStateRow>[0]));
  return { equipment, seen };
}

/** Whether a batch failed on a state signal the history already holds (see `lockForStateSignals`). */
export function isDuplicateStateSignal(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return (
    e?.code === '23505' &&
    (e.constraint === 'equipment_state_change_source_sequence_unique' ||
      /equipment_state_change_source_sequence_unique/.test(e.message ?? ''))
  );
}
