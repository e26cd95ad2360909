import { Equipment, EquipmentState, WorkOrder, WorkOrderState } from '@plantgraph/schema';
import { DEMO_MACHINE_LEVEL } from './demo-plant.js';
import type { Database } from '@plantgraph/hub';
import type { MachineGateway } from './machine-gateway.js';

const DOWN_REASONS = ['JAM', 'NO_MATERIAL', 'TOOL_CHANGE', 'SENSOR_FAULT'];

/**
 * Plays the demo plant's machines: every interval a few work units report a new state and the
 * parts they made, through a gateway (signal subjects, or PLC tags over MQTT for the demo flows).
 */
export function startSimulator(gateway: MachineGateway, db: Database, intervalMs: number) {
  let paths: string[] = [];
  // Now and then a machine breaks down for a few minutes, long enough for the demo's
  // "down longer than 2 minutes" alert rule; it is left alone until it is repaired.
  const brokenUntil = new Map<string, number>();
  const tick = async () => {
    if (!paths.length) {
      const machines = await db.em
        .fork()
        .find(Equipment, { level: DEMO_MACHINE_LEVEL, path: { $like: 'acme/%' } }, { fields: ['path'] });
      paths = machines.map((m) => m.path);
    }
    const busy = await machinesOfActiveOrders(db);
    for (let i = 0; i < Math.min(3, paths.length); i++) {
      const path = paths[Math.floor(Math.random() * paths.length)]!;
      if ((brokenUntil.get(path) ?? 0) > Date.now() && !busy.has(path)) continue;
      // A machine assigned to a released or running order runs it, so the demo walk is not stopped by chance.
      const state = busy.has(path) ? EquipmentState.Running : pickState();
      if (state === EquipmentState.Down && Math.random() < 0.1)
        brokenUntil.set(path, Date.now() + 150_000 + Math.random() * 120_000);
      const reason =
        state === EquipmentState.Down ? DOWN_REASONS[Math.floor(Math.random() * DOWN_REASONS.length)]! : null;
      // Running machines report the parts they made, about one in thirty scrapped.
      const running = state === EquipmentState.Running;
      await gateway.report({
        path,
        state,
        reason,
        good: running ? 1 + Math.floor(Math.random() * 5) : 0,
        scrap: running && Math.random() < 0.2 ? 1 : 0,
      });
    }
  };
  const timer = setInterval(
    () => void tick().catch((err: Error) => console.error(`[demo] simulator: ${err.message}`)),
    intervalMs,
  );
  return {
    stop: async () => {
      clearInterval(timer);
      await gateway.close();
    },
  };
}

/** The machines assigned to orders that are Released or InProgress. */
async function machinesOfActiveOrders(db: Database): Promise<Set<string>> {
  const orders = await db.em
    .fork()
    .find(
      WorkOrder,
      { state: { $in: [WorkOrderState.Released, WorkOrderState.InProgress] } },
      { fields: ['assignments'] },
    );
  return new Set(orders.flatMap((o) => o.assignments.map((a) => a.equipment)));
}

function pickState(): EquipmentState {
  const r = Math.random();
  if (r < 0.6) return EquipmentState.Running;
  if (r < 0.8) return EquipmentState.Idle;
  if (r < 0.95) return EquipmentState.Down;
  return EquipmentState.Maintenance;
}
