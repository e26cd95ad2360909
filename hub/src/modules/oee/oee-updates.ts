import type { Database } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import { currentShiftOee } from './oee.service.js';

/**
 * Live OEE for boards: every interval, the current-shift figures of the machines whose signals this
 * hub ingested since the last round are published as `OeeUpdated` (off the hot path, batched).
 */
export function startOeeUpdates(db: Database, bus: MessageBus, everyMs: number) {
  const touched = new Set<string>();
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (!touched.size) return;
    const ids = [...touched];
    touched.clear();
    running = running
      .then(async () => {
        for (const update of await currentShiftOee(db.em.fork(), ids))
          await bus.publish(bus.subjects.oeeUpdated(update.path), { type: 'OeeUpdated', ...update });
      })
      .catch((err: Error) => console.error(`[oee] live update failed: ${err.message}`));
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
