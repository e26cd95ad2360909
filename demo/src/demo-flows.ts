import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Services } from '@plantgraph/hub';

type FlowStore = Services['flows'];

/** The demo plant's flows, kept in git like any plant's (`plantgraph flows export demo`). */
export const DEMO_FLOWS_FILE = fileURLToPath(new URL('../../flows/plants/demo.json', import.meta.url));

/**
 * The shipped flows' MQTT broker. Imported as they are (`plantgraph flows import`), Node-RED reads
 * it from the hub's environment; the demo stores them with its broker's URL in its place.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Node-RED's own ${VAR} placeholder, literally
export const DEMO_BROKER_VARIABLE = '${PLANTGRAPH_DEMO_MQTT_URL}';
const DEMO_BROKER_NODE = 'demo-broker';
/** Who the demo's own revisions are deployed by (with origin `cli`). */
const DEMO_DEPLOYER = 'demo';

/** What seeding did: stored the first revision, stored the demo's flows again, or left the plant's. */
export type DemoFlowsSeed = 'stored' | 'updated' | 'kept';

/** The shipped demo flows with `mqttUrl` as their broker, formatted as shipped. */
export async function demoFlows(mqttUrl: string): Promise<string> {
  const shipped = await readFile(DEMO_FLOWS_FILE, 'utf8');
  return shipped.replaceAll(JSON.stringify(DEMO_BROKER_VARIABLE), JSON.stringify(mqttUrl));
}

/**
 * Stores the demo flows, reading the demo machines at `mqttUrl`, when the plant has no flows yet,
 * or stores them again when its flows are still the demo's own and differ (another broker port at
 * this start, newer shipped flows). An engineer's deploy is never replaced.
 */
export async function seedDemoFlows(store: FlowStore, plant: string, mqttUrl: string): Promise<DemoFlowsSeed> {
  const current = await store.current(plant);
  if (current && current.deployedBy !== DEMO_DEPLOYER) return 'kept';
  const flows = await demoFlows(mqttUrl);
  if (current?.flows === flows) return 'kept';
  await store.saveRevision(plant, flows, DEMO_DEPLOYER, 'cli');
  return current ? 'updated' : 'stored';
}

/** The URL the plant's flows give the demo's broker node, when they name one (not the variable). */
export async function storedDemoBroker(store: FlowStore, plant: string): Promise<string | null> {
  const current = await store.current(plant);
  try {
    const nodes = JSON.parse(current?.flows ?? '[]') as { id?: unknown; broker?: unknown }[];
    const broker = nodes.find((n) => n.id === DEMO_BROKER_NODE)?.broker;
    return typeof broker === 'string' && broker !== DEMO_BROKER_VARIABLE ? broker : null;
  } catch {
    return null; // not the demo's to judge: the flows runtime reports a broken document
  }
}
