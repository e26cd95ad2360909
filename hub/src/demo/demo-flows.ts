import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FlowStore } from '../modules/flows/storage.js';

/** The demo plant's flows, kept in git like any plant's (`plantgraph flows export demo`). */
export const DEMO_FLOWS_FILE = fileURLToPath(new URL('../../../flows/plants/demo.json', import.meta.url));

/**
 * Stores the demo flows as the plant's first revision, unless it has flows already (an engineer's
 * edits survive restarts). Their MQTT broker is `${PLANTGRAPH_DEMO_MQTT_URL}`, which Node-RED
 * reads from the environment when the flows start. Returns whether it stored them.
 */
export async function seedDemoFlows(store: FlowStore, plant: string, mqttUrl: string): Promise<boolean> {
  process.env.PLANTGRAPH_DEMO_MQTT_URL = mqttUrl;
  if (await store.latestRevisionId(plant)) return false;
  await store.saveRevision(plant, await readFile(DEMO_FLOWS_FILE, 'utf8'), 'demo', 'cli');
  return true;
}
