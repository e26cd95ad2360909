import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { EquipmentState } from '@plantgraph/schema';
import type { MessageBus } from '@plantgraph/hub';

/** What a simulated machine reports: its state, and parts made since its last report. */
export interface MachineReport {
  path: string;
  state: EquipmentState;
  reason: string | null;
  good: number;
  scrap: number;
}

/**
 * How the demo's simulated machines reach the hub. Two ways, as in a real plant: straight onto the
 * signal subjects (a gateway that speaks PlantGraph), or as PLC tags over MQTT that the demo
 * plant's flows map to equipment (`flows/plants/demo.json`).
 */
export interface MachineGateway {
  report(r: MachineReport): Promise<void>;
  close(): Promise<void>;
}

/** Publishes signals on the bus, with the simulator as their source. */
export function signalGateway(bus: MessageBus): MachineGateway {
  // A fresh source per run keeps (source, sequence) unique across restarts.
  const source = `demo-simulator-${Date.now().toString(36)}`;
  let sequence = 0;
  const publish = (kind: 'state' | 'count', path: string, body: object) => {
    const signal = { ...body, at: new Date().toISOString(), source, sequence: ++sequence };
    return bus.publishSignal(
      bus.subjects.equipmentSignal(kind, path),
      Buffer.from(JSON.stringify(signal)),
      `${source}:${sequence}`,
    );
  };
  return {
    report: async (r) => {
      await publish('state', r.path, { state: r.state, reason: r.reason });
      if (r.good + r.scrap) await publish('count', r.path, { good: r.good, scrap: r.scrap });
    },
    close: async () => {},
  };
}

/** PLC state codes the demo machines publish (the demo flows map them back to states and reasons). */
export const DEMO_STATE_CODES: Record<string, number> = {
  Idle: 0,
  Running: 1,
  'Down:JAM': 2,
  'Down:NO_MATERIAL': 3,
  'Down:TOOL_CHANGE': 4,
  'Down:SENSOR_FAULT': 5,
  Maintenance: 6,
};

/**
 * A gateway made at its first report rather than now: the MQTT client's connect loads most of the
 * mqtt package (about 0.2 s of CPU), which a start does not need before the hub listens (issue 15).
 */
export function connectedAtFirstReport(connect: () => Promise<MachineGateway>): MachineGateway {
  let gateway: Promise<MachineGateway> | null = null;
  return {
    report: async (r) => {
      gateway ??= connect();
      await (await gateway).report(r);
    },
    close: async () => {
      await (await gateway?.catch(() => null))?.close();
    },
  };
}

/**
 * Publishes PLC-style tags over MQTT: `plantgraph-demo/<path>/state` (a state code, retained) and
 * cumulative part counters `…/good` and `…/scrap`, as a machine's controller would.
 */
export async function mqttGateway(url: string): Promise<MachineGateway> {
  const client = await mqtt.connectAsync(url, {
    clientId: `plantgraph-demo-simulator-${process.pid}`,
    reconnectPeriod: 1000,
  });
  const totals = new Map<string, { good: number; scrap: number }>();
  return {
    report: async (r) => {
      const topic = `plantgraph-demo/${r.path}`;
      const code = DEMO_STATE_CODES[r.reason ? `${r.state}:${r.reason}` : r.state];
      if (code !== undefined) await client.publishAsync(`${topic}/state`, String(code), { qos: 1, retain: true });
      if (!r.good && !r.scrap) return;
      const total = totals.get(r.path) ?? { good: 0, scrap: 0 };
      total.good += r.good;
      total.scrap += r.scrap;
      totals.set(r.path, total);
      await client.publishAsync(`${topic}/good`, String(total.good), { qos: 1 });
      if (r.scrap) await client.publishAsync(`${topic}/scrap`, String(total.scrap), { qos: 1 });
    },
    close: () => client.endAsync(),
  };
}

/**
 * An MQTT broker inside the hub, for `npm start` on a machine without one (loopback only), on the
 * first of `ports` that is free (0: any), else on any free port.
 */
export async function startEmbeddedBroker(
  ports: number[],
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle as never);
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const refused = (err: Error) => reject(err);
      server.once('error', refused);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', refused);
        resolve();
      });
    });
  // Another demo hub (or a broker) may have the port: any free one will do for the demo's own flows.
  for (const port of [...ports.filter((p) => p !== 0), 0]) {
    const taken = await listen(port).then(
      () => false,
      (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && port !== 0 ? true : Promise.reject(err)),
    );
    if (!taken) break;
  }
  const actual = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${actual}`,
    port: actual,
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
