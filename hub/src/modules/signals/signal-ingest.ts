import { LockMode } from '@mikro-orm/core';
import { Equipment, ProductionCount } from '@plantgraph/schema';
import type { Database, Tx } from '../../infrastructure/database/database.js';
import type { MessageBus, SignalConsumer, SignalDelivery } from '../../infrastructure/bus/message-bus.js';
import { applyStateReport } from '../equipment/equipment-state.js';
import type { DomainEvent, UnitOfWork } from '../shared/unit-of-work.js';
import { parseSignal, type ParsedSignal } from './signal-parsing.js';

/**
 * The durable consumer of equipment signals (states and part counts). Per batch: one transaction
 * writes every new state, its history and the counts; only after the commit are the signals
 * acked and the events published. Re-delivered signals are recognised by (source, sequence) and
 * change nothing.
 */
export function startSignalIngest(db: Database, bus: MessageBus, uow: UnitOfWork, log: Pick<Console, 'error'> = console, onStored: (equipmentIds: string[]) => void = () => {}): SignalConsumer {
  const reject = async (d: SignalDelivery, reason: string) => {
    await bus.publish(bus.subjects.signalRejected, { type: 'SignalRejected', subject: d.subject, reason, payload: Buffer.from(d.payload).toString('utf8').slice(0, 4096) })
      .catch((err: Error) => log.error(`[ingest] could not dead-letter a signal on ${d.subject} (${reason}): ${err.message}`));
    d.ack();
  };

  return bus.consumeSignals(async (batch) => {
    const signals: ParsedSignal[] = [];
    for (const d of batch) {
      const parsed = parseSignal(bus.subjects, d);
      if (typeof parsed === 'string') await reject(d, parsed);
      else signals.push(parsed);
    }
    if (!signals.length) return;

    const events: DomainEvent[] = [];
    const unknown = new Set<ParsedSignal>();
    const stored = new Set<string>();
    try {
      await db.em.fork().transactional(async (tx) => {
        // Row locks, taken in path order, serialise replicas that write the same equipment.
        const rows = await tx.find(Equipment, { path: { $in: [...new Set(signals.map((s) => s.path))] } }, { orderBy: { path: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
        const equipment = new Map(rows.map((e) => [e.path, e]));
        const seen = await alreadyStored(tx, signals);
        for (const s of signals) {
          const eq = equipment.get(s.path);
          if (!eq) {
            unknown.add(s);
            continue;
          }
          const key = `${s.kind}\u0000${s.source}\u0000${s.sequence}`;
          if (seen.has(key)) continue;
          seen.add(key);
          stored.add(eq.id);
          if (s.kind === 'state') {
            const event = applyStateReport(tx, bus.subjects, eq, { ...s.report, source: s.source, sequence: s.sequence });
            if (event) events.push(event);
          } else {
            const count = tx.create(ProductionCount, { equipment: eq, path: eq.path, ...s.count, source: s.source, sequence: String(s.sequence) });
            events.push({ subject: bus.subjects.productionCounted(eq.path), type: 'ProductionCounted', data: { path: eq.path, good: count.good, scrap: count.scrap, rework: count.rework, at: count.at.toISOString() } });
          }
        }
      });
    } catch (err) {
      for (const s of signals) s.delivery.nak();
      throw err;
    }
    for (const s of signals) if (!unknown.has(s)) s.delivery.ack();
    for (const s of unknown) await reject(s.delivery, `no equipment has the path "${s.path}"; create it or fix the subject.`);
    await uow.publish(events);
    if (stored.size) onStored([...stored]);
  });
}

/** The (kind, source, sequence) keys of this batch that an earlier delivery already stored. */
async function alreadyStored(tx: Tx, signals: ParsedSignal[]): Promise<Set<string>> {
  const stored = new Set<string>();
  for (const [kind, table] of [['state', 'equipment_state_change'], ['count', 'production_count']] as const) {
    const keys = signals.filter((s) => s.kind === kind);
    if (!keys.length) continue;
    // One row-value IN list: an index lookup per key on (source, sequence).
    const rows = await tx.execute<{ source: string; sequence: string }[]>(
      `select source, sequence::text as sequence from ${table} where (source, sequence) in (${keys.map(() => '(?, ?::bigint)').join(', ')})`,
      keys.flatMap((s) => [s.source, s.sequence]));
    for (const r of rows) stored.add(`${kind}\u0000${r.source}\u0000${r.sequence}`);
  }
  return stored;
}
