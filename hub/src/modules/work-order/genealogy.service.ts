import { MaterialLot } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { placedVisible } from '../../core/visibility.js';

const MAX_DEPTH = 100;

/** One link of a lot's genealogy. `lot` is null where the caller may not read the lot. */
export interface GenealogyStep {
  lotNumber: string;
  lot: MaterialLot | null;
  /** The lot on the other side of this link. */
  via: string;
  quantity: number;
  depth: number;
}

/**
 * Lot genealogy both ways, each answered by one recursive query. A recall must follow the whole
 * chain, also through lots in other areas or sites, so every link is given with its lot numbers;
 * a lot outside the caller's scopes shows nothing more (no status, quantity, expiry, properties,
 * nor their own nested fields), as decided in docs/architecture.md ("Genealogy across scopes").
 */
export class GenealogyService {
  async trace(em: Tx, principal: Principal, lotId: string, direction: 'inputs' | 'outputs'): Promise<GenealogyStep[]> {
    const [from, to] = direction === 'inputs' ? ['input_id', 'output_id'] : ['output_id', 'input_id'];
    const rows = await em.execute<
      { lot_id: string; lot_number: string; via: string; quantity: string; depth: number }[]
    >(
      `
      with recursive tree as (
        select g.${from} as lot_id, g.${to} as via_id, g.quantity, 1 as depth from lot_genealogy g where g.${to} = ?
        union all
        select g.${from}, g.${to}, g.quantity, t.depth + 1 from lot_genealogy g join tree t on g.${to} = t.lot_id
        where t.depth < ${MAX_DEPTH}
      )
      select t.lot_id, l.lot_number, v.lot_number as via, t.quantity, t.depth
      from tree t join material_lot v on v.id = t.via_id join material_lot l on l.id = t.lot_id
      order by t.depth, t.lot_id`,
      [lotId],
    );
    const ids = rows.map((r) => r.lot_id);
    const visible = await em.find(MaterialLot, { $and: [{ id: { $in: ids } }, placedVisible(principal, 'location')] });
    const lots = new Map(visible.map((l) => [l.id, l]));
    return rows.map((r) => ({
      lotNumber: r.lot_number,
      lot: lots.get(r.lot_id) ?? null,
      via: r.via,
      quantity: Number(r.quantity),
      depth: Number(r.depth),
    }));
  }
}
