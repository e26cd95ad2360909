import { LockMode } from '@mikro-orm/core';
import { Equipment, EquipmentState, EquipmentStateChange } from '@plantgraph/schema';
import type { Database } from '../../infrastructure/database/database.js';
import type { MessageBus, SignalConsumer, SignalDelivery } from '../../infrastructure/bus/message-bus.js';
import type { EquipmentStateSignal, Subjects } from '../../subjects.js';
import { applyStateReport, stateReportProblem, type StateReport } from '../equipment/equipment-state.js';
import type { DomainEvent, UnitOfWork } from '../shared/unit-of-work.js';

const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
const STATES = new Set<string>(Object.values(EquipmentState));

interface ParsedSignal { delivery: SignalDelivery; path: string; report: StateReport & { sequence: number } }

/**
 * The durable consumer of equipment state signals. Per batch: one transaction writes every new
 * state and its history; only after the commit are the signals acked and the events published.
 * Re-delivered signals are recognised by (source, sequence) and change nothing.
 */
export function startSignalIngest(db: Database, bus: MessageBus, uow: UnitOfWork, log: Pick<Console, 'error'> = console): SignalConsumer {
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
    const unknown: ParsedSignal[] = [];
    try {
      await db.em.fork().transactional(async (tx) => {
        // Row locks, taken in path order, serialise replicas that write the same equipment.
        const rows = await tx.find(Equipment, { path: { $in: [...new Set(signals.map((s) => s.path))] } }, { orderBy: { path: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
        const equipment = new Map(rows.map((e) => [e.path, e]));
        const keys = signals.map((s) => ({ source: s.report.source, sequence: String(s.report.sequence) }));
        const seen = new Set((await tx.find(EquipmentStateChange, { $or: keys }, { fields: ['source', 'sequence'] })).map((c) => `${c.source}\u0000${c.sequence}`));
        for (const s of signals) {
          const eq = equipment.get(s.path);
          if (!eq) {
            unknown.push(s);
            continue;
          }
          const key = `${s.report.source}\u0000${s.report.sequence}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const event = applyStateReport(tx, bus.subjects, eq, s.report);
          if (event) events.push(event);
        }
      });
    } catch (err) {
      for (const s of signals) s.delivery.nak();
      throw err;
    }
    for (const s of signals) if (!unknown.includes(s)) s.delivery.ack();
    for (const s of unknown) await reject(s.delivery, `no equipment has the path "${s.path}"; create it or fix the subject.`);
    await uow.publish(events);
  });
}

/** The signal, or why it cannot be accepted. */
function parseSignal(subjects: Subjects, d: SignalDelivery): ParsedSignal | string {
  if (!d.subject.startsWith(subjects.equipmentStateSignalPrefix)) return `unknown signal subject; publish state signals on ${subjects.equipmentStateSignalPrefix}<path tokens>.`;
  const path = d.subject.slice(subjects.equipmentStateSignalPrefix.length).split('.').join('/');
  let body: Partial<EquipmentStateSignal>;
  try {
    body = JSON.parse(Buffer.from(d.payload).toString('utf8')) as Partial<EquipmentStateSignal>;
  } catch {
    return 'the payload is not JSON; send {"state":"Running","source":"plc-7","sequence":42}.';
  }
  if (!body || typeof body !== 'object') return 'the payload must be a JSON object.';
  if (typeof body.state !== 'string' || !STATES.has(body.state)) return `state must be one of ${[...STATES].join(', ')} (got ${JSON.stringify(body.state)}).`;
  if (typeof body.source !== 'string' || !body.source || body.source.length > 128) return 'source must be a non-empty string of at most 128 characters naming the sender.';
  if (!Number.isSafeInteger(body.sequence) || body.sequence! < 0) return `sequence must be a non-negative integer (got ${JSON.stringify(body.sequence)}).`;
  if (body.reason != null && typeof body.reason !== 'string') return 'reason must be a string.';
  const problem = stateReportProblem(body.state as EquipmentState, body.reason);
  if (problem) return problem;
  const at = body.at === undefined ? new Date() : new Date(body.at);
  if (typeof body.at !== 'undefined' && (typeof body.at !== 'string' || Number.isNaN(at.getTime()))) return `at must be an ISO-8601 time (got ${JSON.stringify(body.at)}).`;
  if (at.getTime() > Date.now() + MAX_CLOCK_AHEAD_MS) return `at (${body.at}) is more than 5 minutes in the future; check the sender's clock.`;
  return { delivery: d, path, report: { state: body.state as EquipmentState, reason: body.reason ?? null, at, source: body.source, sequence: body.sequence! } };
}
