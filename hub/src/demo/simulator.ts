import { Equipment, EquipmentState } from '@plantgraph/schema';
import { DEMO_MACHINE_LEVEL } from './demo-plant.js';
import type { Database } from '../infrastructure/database/database.js';
import type { MessageBus } from '../infrastructure/bus/message-bus.js';
import type { EquipmentCountSignal, EquipmentStateSignal } from '../subjects.js';

const DOWN_REASONS = ['JAM', 'NO_MATERIAL', 'TOOL_CHANGE', 'SENSOR_FAULT'];

/**
 * Plays the demo plant's machines: every interval a few work units report a new state through
 * the signal subject, exactly as real equipment would.
 */
export function startSimulator(bus: MessageBus, db: Database, intervalMs: number) {
  // A fresh source per run keeps (source, sequence) unique across restarts.
  const source = `demo-simulator-${Date.now().toString(36)}`;
  let sequence = 0;
  let paths: string[] = [];
  const tick = async () => {
    if (!paths.length) {
      const machines = await db.em.fork().find(Equipment, { level: DEMO_MACHINE_LEVEL, path: { $like: 'acme/%' } }, { fields: ['path'] });
      paths = machines.map((m) => m.path);
    }
    for (let i = 0; i < Math.min(3, paths.length); i++) {
      const path = paths[Math.floor(Math.random() * paths.length)]!;
      const state = pickState();
      const signal: EquipmentStateSignal = {
        state, reason: state === EquipmentState.Down ? DOWN_REASONS[Math.floor(Math.random() * DOWN_REASONS.length)] : null,
        at: new Date().toISOString(), source, sequence: ++sequence,
      };
      await bus.publishSignal(bus.subjects.equipmentSignal('state', path), Buffer.from(JSON.stringify(signal)), `${source}:${sequence}`);
      if (state === EquipmentState.Running) {
        // Running machines report the parts they made, about one in thirty scrapped.
        const count: EquipmentCountSignal = { good: 1 + Math.floor(Math.random() * 5), scrap: Math.random() < 0.2 ? 1 : 0, source, sequence: ++sequence };
        await bus.publishSignal(bus.subjects.equipmentSignal('count', path), Buffer.from(JSON.stringify(count)), `${source}:${sequence}`);
      }
    }
  };
  const timer = setInterval(() => void tick().catch((err: Error) => console.error(`[demo] simulator: ${err.message}`)), intervalMs);
  return { stop: async () => clearInterval(timer) };
}

function pickState(): EquipmentState {
  const r = Math.random();
  if (r < 0.6) return EquipmentState.Running;
  if (r < 0.8) return EquipmentState.Idle;
  if (r < 0.95) return EquipmentState.Down;
  return EquipmentState.Maintenance;
}
