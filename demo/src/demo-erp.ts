import type { HubExtensionContext } from '@plantgraph/hub';
import { Principal } from '@plantgraph/hub';
import { SapSimulator } from '@plantgraph/sap-s4hana-simulator';
import { Role } from '@plantgraph/schema';

/** The demo's SAP connector instance (scope: the Berlin site). */
export const DEMO_SAP_CONNECTOR = 'sap-demo';

/** The demo plant in SAP's terms: plant 1710 is acme/berlin, its assembly lines are work centers. */
const MAPPING = {
  version: 1,
  plants: [
    {
      plant: '1710',
      site: 'acme/berlin',
      timeZone: 'Europe/Berlin',
      workCenters: { LINE1: 'acme/berlin/assembly/line-1', LINE2: 'acme/berlin/assembly/line-2' },
      defaultStorageLocation: '171A',
    },
  ],
  units: { ST: 'pcs', KG: 'kg' },
  materials: { 'RM-COIL': 'STEEL-COIL-2MM', 'RM-BOLT': 'BOLT-M8' },
  products: { 'FG-BRACKET-A': 'PD-BRACKET-A' },
  personnel: { E1001: '00001001', E2001: '00002001' },
};

/**
 * An ERP for the demo: the SAP simulator on loopback with a few production orders, and the SAP
 * connector pointed at it, so a newcomer sees orders arrive as Drafts (and one rejected, with the
 * reason) and confirmations leave. Needs the connector type `sap-s4hana` in the hub.
 */
export async function startDemoErp(hub: HubExtensionContext, pollIntervalMs: number): Promise<void> {
  const { services, log, onClose } = hub;
  if (!services.connectors.registry.get('sap-s4hana')) {
    log.warn('[demo] the SAP connector (@plantgraph/connector-sap-s4hana) is not installed: no ERP in the demo');
    return;
  }
  // On the port of the last start when it is free: the connector's settings then stay as they are.
  const previous = await services.connectors.get(hub.db.em.fork(), Principal.system('demo'), DEMO_SAP_CONNECTOR);
  const previousUrl = previous?.settings.baseUrl;
  const sim = await SapSimulator.start({
    port: typeof previousUrl === 'string' ? Number(new URL(previousUrl).port) : undefined,
  });
  onClose(() => sim.close());
  const order = (n: number, line: string, quantity: number, day: number) =>
    sim.addOrder({
      order: String(4000000 + n),
      material: 'FG-BRACKET-A',
      plant: '1710',
      quantity,
      unit: 'ST',
      plannedStart: `2026-12-0${day}T06:00:00`,
      plannedEnd: `2026-12-0${day}T14:00:00`,
      operations: [{ operation: '0010', workCenter: line }],
      components: [
        { material: 'RM-COIL', quantity: quantity * 0.42, unit: 'KG', operation: '0010', storageLocation: '171A' },
        { material: 'RM-BOLT', quantity: quantity * 2, operation: '0010', storageLocation: '171A' },
      ],
    });
  sim.addMaterial({ material: 'RM-COIL', plant: '1710', baseUnit: 'KG' });
  sim.addMaterial({ material: 'RM-BOLT', plant: '1710', baseUnit: 'ST' });
  order(1, 'LINE1', 200, 3);
  order(2, 'LINE2', 350, 4);
  // A work center the mapping does not know: rejected, with the reason in connectorImports.
  order(3, 'PAINT', 100, 5);
  const configured = await services.connectors.configure(Principal.system('demo'), {
    name: DEMO_SAP_CONNECTOR,
    type: 'sap-s4hana',
    scope: 'acme/berlin',
    settings: { baseUrl: sim.url, user: 'DEMO', password: 'demo', sapClient: '100', pollIntervalMs, mapping: MAPPING },
    grants: [{ role: Role.Integrator, scope: 'acme/berlin' }],
    enabled: true,
  });
  if ('code' in configured) throw new Error(`The demo SAP connector was refused: ${configured.message}`);
  log.log(
    `[demo] SAP simulator at ${sim.url}; connector "${DEMO_SAP_CONNECTOR}" polls it every ${pollIntervalMs / 1000} s ` +
      `(try: query { connectorImports(connector: "${DEMO_SAP_CONNECTOR}", first: 10) ` +
      '{ edges { node { reference outcome reasons { message } } } } })',
  );
}
