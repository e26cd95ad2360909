import type { HubExtension } from '@plantgraph/hub';
import type { DemoConfig } from './config.js';
import { seedDemoFlows, storedDemoBroker } from './demo-flows.js';
import { seedDemoPlant } from './demo-plant.js';
import { connectedAtFirstReport, mqttGateway, signalGateway, startEmbeddedBroker } from './machine-gateway.js';
import { alsoTo, opcuaMachines } from './opcua-machines.js';
import { startSimulator } from './simulator.js';
import { startDemoErp } from './demo-erp.js';
import { demoBaseline } from './demo-baseline.js';

/**
 * The demo plant as a hub extension (one per hub): before the flows start, the demo machines'
 * MQTT broker and the demo flows; once the hub's services run, the plant's master data and the
 * simulator playing its machines.
 */
export function demoExtension(demo: DemoConfig): HubExtension {
  // The broker the machines publish to at this start, when there are flows to listen.
  let mqttUrl: string | null = null;
  return {
    name: 'demo',
    async beforeFlows({ config, services, log, onClose }) {
      if (!config.flows.enabled) return;
      const { plant } = config.flows;
      // The broker the plant's stored flows read, before this start stores anything.
      const before = await storedDemoBroker(services.flows, plant);
      mqttUrl = demo.mqttUrl ?? null;
      if (!mqttUrl) {
        // When the configured port is taken, the last start's port keeps the stored flows as they are.
        const broker = await startEmbeddedBroker([demo.mqttPort, loopbackPort(before)]);
        onClose(() => broker.close());
        mqttUrl = broker.url;
        log.log(`[demo] MQTT broker for the demo machines at ${broker.url}`);
      }
      const seeded = await seedDemoFlows(services.flows, plant, mqttUrl);
      if (seeded === 'stored') log.log(`[demo] stored the demo flows as plant "${plant}" (flows/plants/demo.json)`);
      if (seeded === 'updated')
        log.log(`[demo] stored the demo flows again as plant "${plant}", for the broker at ${mqttUrl}`);
      // An engineer's flows are theirs; say so when they no longer read this start's machines. Flows kept
      // as they were read the broker they read before; flows stored now read this start's.
      const stored = seeded === 'kept' ? before : mqttUrl;
      if (stored && stored !== mqttUrl) {
        log.warn(
          `[demo] the flows of plant "${plant}" read MQTT at ${stored}, but the demo machines publish to ${mqttUrl}: ` +
            'point the broker node "Demo machines" there in the flow editor',
        );
      }
    },
    // A new embedded folder is made with the plant already in it: seeding took seconds of a first start.
    embeddedBaseline: demoBaseline,
    async afterServices(hub) {
      const { db, bus, services, log, onClose } = hub;
      if (hub.baselineFrom === 'demo') log.log('[demo] seeded the demo plant "acme" (from the build\'s demo baseline)');
      else if (await seedDemoPlant(services, db)) log.log('[demo] seeded the demo plant "acme"');
      if (demo.erpPollIntervalMs > 0) await startDemoErp(hub, demo.erpPollIntervalMs);
      if (demo.simulatorIntervalMs > 0) {
        const url = mqttUrl;
        let gateway = url ? connectedAtFirstReport(() => mqttGateway(url)) : signalGateway(bus);
        if (demo.opcuaPort !== null) {
          const machines = await opcuaMachines(db, demo.opcuaPort);
          log.log(
            `[demo] OPC UA machine simulator at ${machines.endpointUrl} (node ids ns=1;s=<machine path>.State, ` +
              '.GoodCount, …): browse and map it with a connector of type "opcua"',
          );
          gateway = alsoTo(gateway, machines.gateway);
        }
        const simulator = startSimulator(gateway, db, demo.simulatorIntervalMs);
        onClose(() => simulator.stop());
      }
    },
  };
}

/** The port of an MQTT URL on this machine's loopback (the demo broker's), or 0. */
function loopbackPort(url: string | null): number {
  const parsed = url && URL.canParse(url) ? new URL(url) : null;
  return parsed?.hostname === '127.0.0.1' && parsed.port ? Number(parsed.port) : 0;
}
