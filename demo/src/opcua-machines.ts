import type { Database } from '@plantgraph/hub';
import { Equipment, EquipmentState } from '@plantgraph/schema';
import { DEMO_MACHINE_LEVEL } from './demo-plant.js';
import type { MachineGateway, MachineReport } from './machine-gateway.js';

/** Demo states as the OPC UA simulator's PLC state codes (its `State` variable's code table). */
const STATE_CODE: Partial<Record<EquipmentState, 'Running' | 'Idle' | 'Down' | 'Maintenance'>> = {
  [EquipmentState.Running]: 'Running',
  [EquipmentState.Idle]: 'Idle',
  [EquipmentState.Down]: 'Down',
  [EquipmentState.Maintenance]: 'Maintenance',
};

/**
 * The demo machines as an OPC UA server (`@plantgraph/opcua-simulator`, loaded only when asked): one object per
 * machine, named by its equipment path, with State, GoodCount, ScrapCount, CycleTime and Temperature, moved by
 * the same reports as the demo's other machines. A newcomer browses it and maps it with the OPC UA connector.
 */
export async function opcuaMachines(
  db: Database,
  port: number,
): Promise<{ endpointUrl: string; gateway: MachineGateway }> {
  const machines = await db.em
    .fork()
    .find(Equipment, { level: DEMO_MACHINE_LEVEL, path: { $like: 'acme/%' } }, { fields: ['path'] });
  const { OpcUaMachineSimulator } = await import('@plantgraph/opcua-simulator');
  const simulator = await OpcUaMachineSimulator.start({
    machines: machines.map((m) => m.path),
    ...(port ? { port } : {}),
  });
  return {
    endpointUrl: simulator.endpointUrl,
    gateway: {
      async report(r: MachineReport) {
        const state = r.state === EquipmentState.Down && r.reason === 'JAM' ? 'Jammed' : STATE_CODE[r.state];
        if (state) simulator.setState(r.path, state);
        if (r.good + r.scrap) simulator.produce(r.path, { good: r.good, scrap: r.scrap });
      },
      close: () => simulator.stop(),
    },
  };
}

/** Reports to both gateways (the demo's usual one first); closes both. */
export function alsoTo(first: MachineGateway, second: MachineGateway): MachineGateway {
  return {
    async report(r) {
      await first.report(r);
      await second.report(r);
    },
    async close() {
      await first.close();
      await second.close();
    },
  };
}
