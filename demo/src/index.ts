import type { HubExtensionPackage } from '@plantgraph/hub';
import { demoConfigFromEnv } from './config.js';
import { demoExtension } from './demo-extension.js';

export { demoExtension } from './demo-extension.js';
export { demoConfigFromEnv, type DemoConfig } from './config.js';
export { activateFirstVersion } from './demo-scheduling.js';
export { DEMO_BROKER_VARIABLE, DEMO_FLOWS_FILE, seedDemoFlows } from './demo-flows.js';

/** What `plantgraph start --demo` loads: the demo, configured from the hub's environment. */
export const extensionFromEnv: HubExtensionPackage['extensionFromEnv'] = (env) => demoExtension(demoConfigFromEnv(env));
