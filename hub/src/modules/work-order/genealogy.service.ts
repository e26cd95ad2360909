import { MaterialLot } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';

const MAX_DEPTH = 100;

/** Lot genealogy both ways, each answered by one recursive query. */
export class GenealogyService {
  async trace(em: Tx, lotId: string, direction: 'inputs' | 'outputs') {
    const [from, to] = direction === 'inputs' ? ['input_id', 'output_id'] : ['output_id', 'input_id'];
    const rows = await em.execute<{ lot_id: string; via: string; quantity: string; depth: number }[]>(`
      with recursive tree as (
        select g.${from} as lot_id, g.${to} as via_id, g.quantity, 1 as depth from lot_genealogy g where g.${to} = ?
        union all
        select g.${from}, g.${to}, g.quantity, t.depth + 1 from lot_genealogy g join tree t on g.${to} = t.lot_id where t.depth < ${MAX_DEPTH}
      )
      select t.lot_id, v.lot_number as via, t.quantity, t.depth from tree t join material_lot v on v.id = t.via_id order by t.depth, t.lot_id`, [lotId]);
    const lots = new Map((await em.find(MaterialLot, { id: { $in: rows.map((r) => r.lot_id) } })).map((l) => [l.id, l]));
    return rows.map((r) => ({ lot: lots.get(r.lot_id)!, via: r.via, quantity: Number(r.quantity), depth: Number(r.depth) }));
  }
}
