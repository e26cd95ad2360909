import { type Database, isEmbedded } from '../../infrastructure/database/database.js';
import type {
  MessageBus,
  SignalConsumer,
  SignalConsumerOptions,
  SignalDelivery,
} from '../../infrastructure/bus/message-bus.js';
import type { EventsCommitted } from '../../core/unit-of-work.js';
import type { DomainEvent } from '../../core/event-outbox.js';
import { parseSignal, type ParsedSignal } from './signal-parsing.js';
import { type StoredBatch, storeSignals } from './signal-store.js';
import { IngestBackoff } from './ingest-backoff.js';
import type { IngestStatistics } from './signals.types.js';

/**
 * Batches stored at once on PostgreSQL, each on its own connection and for its own equipment: while
 * one batch's statements run in the database, the others' results travel back, are acked and
 * relayed, so both the hub and the database have work on a machine of two cores or more. Their
 * transactions only meet at the outbox head's lock, which each takes last, for its final insert.
 * Four lanes with three batches each buffered (6,144 signals of 512) stay under the consumer's
 * 10,000 unacked signals.
 */
export const INGEST_LANES = 4;

export const newIngestStatistics = (): IngestStatistics => ({
  startedAt: new Date(),
  received: 0,
  stored: 0,
  duplicates: 0,
  rejectedInvalid: 0,
  rejectedUnknownEquipment: 0,
  batches: 0,
  failedBatches: 0,
  lastBatchAt: null,
  lastError: null,
});

/**
 * The durable consumer of equipment signals (states, counts, cycles, process values). Per batch:
 * one call of the store function (`storeSignals`, ADR 0062), one transaction, writes every new row and its
 * events (into the outbox); only after the commit are
 * the signals acked and the events relayed. Re-delivered signals are recognised by (source,
 * sequence) and change nothing. What the admission rule refuses (`signal-admission.ts`: here,
 * malformed signals and unknown equipment) becomes a `SignalRejected` event with the reason in the
 * same transaction, is counted, and never stops the stream. A batch that cannot be stored pauses
 * the consumer with growing pauses (`IngestBackoff`); its signals stay on the bus meanwhile. Each
 * signal is counted once, when it is settled for good. On PostgreSQL `INGEST_LANES` batches are
 * stored at once, each for its own equipment (see `SignalLanes`); embedded, one.
 */
export function startSignalIngest(
  db: Database,
  bus: MessageBus,
  relay: EventsCommitted,
  stats: IngestStatistics,
  log: Pick<Console, 'error' | 'warn'> = console,
  onStored: (equipmentIds: string[]) => void = () => {},
  options: SignalConsumerOptions = { lanes: isEmbedded(db) ? 1 : INGEST_LANES },
): SignalConsumer {
  const backoff = new IngestBackoff(log);
  const deadLetter = (d: SignalDelivery, reason: string): DomainEvent => ({
    subject: bus.subjects.signalRejected,
    type: 'SignalRejected',
    data: { subject: d.subject, reason, payload: Buffer.from(d.payload).toString('utf8').slice(0, 4096) },
  });

  const consumer = bus.consumeSignals(async (deliveries) => {
    const signals: ParsedSignal[] = [];
    const malformed: { delivery: SignalDelivery; reason: string }[] = [];
    for (const d of deliveries) {
      const parsed = parseSignal(bus.subjects, d);
      if (typeof parsed !== 'string') signals.push(parsed);
      else malformed.push({ delivery: d, reason: parsed });
    }
    // One transaction per batch (one call of the store function): the new rows, their events and the
    // dead letters of refused signals, so a signal is acked only once what it caused, or why it was
    // refused, is stored.
    const deadLetters = {
      leading: malformed.map((m) => deadLetter(m.delivery, m.reason)),
      unknown: (s: ParsedSignal) =>
        deadLetter(s.delivery, `no equipment has the path "${s.path}"; create it or fix the subject.`),
    };
    let batch: StoredBatch;
    try {
      batch = await storeSignals(db.em.fork(), bus.subjects, signals, deadLetters);
    } catch (err) {
      stats.failedBatches++;
      stats.lastError = (err as Error).message;
      // Unsettled, the signals go back to the bus and come again after the pause.
      return { pauseMs: backoff.failed(err as Error) };
    }
    backoff.succeeded();
    for (const d of deliveries) d.ack();
    stats.received += deliveries.length;
    stats.rejectedInvalid += malformed.length;
    stats.stored += batch.stored;
    stats.duplicates += batch.duplicates;
    stats.rejectedUnknownEquipment += batch.unknown.length;
    // The committed events go to the relay as numbered, so it need not read them back.
    if (batch.numbered.length) relay.wake(batch.numbered);
    if (batch.equipmentIds.length) onStored(batch.equipmentIds);
    stats.batches++;
    stats.lastBatchAt = new Date();
  }, options);
  return consumer;
}
