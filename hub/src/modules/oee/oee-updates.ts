import type { Database } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import { currentShiftOee } from './oee.service.js';

/**
 * Live OEE for boards: every interval, the current-shift figures of the machines whose signals this
 * hub ingested since the last round are published as `OeeUpdated` (off the hot path, batched).
 * One round at a time: a tick while a round still runs leaves its machines for the next tick, so
 * a slow database delays the updates instead of piling up rounds.
 */
export function startOeeUpdates(db: Database, bus: MessageBus, everyMs: number) {
  const touched = new Set<string>();
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (!touched.size || running) return;
    const ids = [...touched];
    touched.clear();
    running = (async () => {
      for (const update of await currentShiftOee(db.em.fork(), ids))
        await bus.publish(bus.subjects.oeeUpdated(update.path), { type: 'OeeUpdated', ...update });
    })()
      .catch((err: Error) => console.error(`[oee] live update failed: ${err.message}`))
      .finally(() => {
        running = null;
      });
  }, everyMs);
  return {
    /** Marks machines whose figures changed (called by the ingest after each commit). */
    touch: (equipmentIds: Iterable<string>) => {
      for (const id of equipmentIds) touched.add(id);
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
