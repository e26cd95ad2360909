import type { Database } from '../../infrastructure/database/database.js';
import type { MessageBus, SignalConsumer, SignalDelivery } from '../../infrastructure/bus/message-bus.js';
import type { UnitOfWork } from '../../core/unit-of-work.js';
import { parseSignal, type ParsedSignal } from './signal-parsing.js';
import { storeSignals } from './signal-store.js';
import { IngestBackoff } from './ingest-backoff.js';
import type { IngestStatistics } from './signals.types.js';

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
 * one transaction writes every new row; only after the commit are the signals acked and the events
 * published. Re-delivered signals are recognised by (source, sequence) and change nothing.
 * What the admission rule refuses (`signal-admission.ts`: here, malformed signals and unknown
 * equipment) goes to the dead-letter subject with the reason, is counted, and never stops the stream.
 * A batch that cannot be stored pauses the consumer with growing pauses (`IngestBackoff`); its
 * signals stay on the bus meanwhile. Each signal is counted once, when it is settled for good.
 */
export function startSignalIngest(
  db: Database,
  bus: MessageBus,
  uow: UnitOfWork,
  stats: IngestStatistics,
  log: Pick<Console, 'error' | 'warn'> = console,
  onStored: (equipmentIds: string[]) => void = () => {},
): SignalConsumer {
  const backoff = new IngestBackoff(log);
  const deadLetter = (d: SignalDelivery, reason: string) => {
    d.ack();
    stats.received++;
    return bus
      .publish(bus.subjects.signalRejected, {
        type: 'SignalRejected',
        subject: d.subject,
        reason,
        payload: Buffer.from(d.payload).toString('utf8').slice(0, 4096),
      })
      .catch((err: Error) =>
        log.error(`[ingest] could not dead-letter a signal on ${d.subject} (${reason}): ${err.message}`),
      );
  };

  const consumer = bus.consumeSignals(async (deliveries) => {
    const signals: ParsedSignal[] = [];
    const rejections: Promise<unknown>[] = [];
    for (const d of deliveries) {
      const parsed = parseSignal(bus.subjects, d);
      if (typeof parsed !== 'string') signals.push(parsed);
      else {
        stats.rejectedInvalid++;
        rejections.push(deadLetter(d, parsed));
      }
    }
    if (signals.length) {
      let batch: Awaited<ReturnType<typeof storeSignals>>;
      try {
        batch = await db.em.fork().transactional((tx) => storeSignals(tx, bus.subjects, signals));
      } catch (err) {
        stats.failedBatches++;
        stats.lastError = (err as Error).message;
        await Promise.all(rejections);
        // Unsettled, the signals go back to the bus and come again after the pause.
        return { pauseMs: backoff.failed(err as Error) };
      }
      backoff.succeeded();
      const unknown = new Set(batch.unknown);
      for (const s of signals) if (!unknown.has(s)) s.delivery.ack();
      stats.received += signals.length - unknown.size;
      for (const s of unknown)
        rejections.push(deadLetter(s.delivery, `no equipment has the path "${s.path}"; create it or fix the subject.`));
      stats.stored += batch.stored;
      stats.duplicates += batch.duplicates;
      stats.rejectedUnknownEquipment += unknown.size;
      rejections.push(uow.publish(batch.events));
      if (batch.equipmentIds.size) onStored([...batch.equipmentIds]);
    }
    stats.batches++;
    stats.lastBatchAt = new Date();
    await Promise.all(rejections);
  });
  return consumer;
}
