/** The demo's settings; the environment variables are the hub's (see the README's tables). */
export interface DemoConfig {
  /** How often the simulator reports machine states; 0 turns it off. */
  simulatorIntervalMs: number;
  /**
   * With flows on, the demo machines publish PLC tags over MQTT for the demo flows: to this broker,
   * or, unset, to a broker embedded in the hub on `mqttPort` (loopback).
   */
  mqttUrl?: string;
  mqttPort: number;
  /** How often the demo's SAP connector polls the SAP simulator; 0 turns the demo ERP off. */
  erpPollIntervalMs: number;
  /**
   * With the simulator on, also play the demo machines as an OPC UA server on this port (0: a free one) for a
   * newcomer to browse and map with the OPC UA connector; null (unset): off, node-opcua not loaded.
   */
  opcuaPort: number | null;
}

export function demoConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<DemoConfig> = {},
): DemoConfig {
  const interval = Number(env.PLANTGRAPH_SIMULATOR_INTERVAL_MS ?? 3000);
  if (!(interval === 0 || interval >= 100)) {
    const got = env.PLANTGRAPH_SIMULATOR_INTERVAL_MS;
    throw new Error(`PLANTGRAPH_SIMULATOR_INTERVAL_MS must be 0 (off) or at least 100, got "${got}".`);
  }
  const port = Number(env.PLANTGRAPH_DEMO_MQTT_PORT ?? 1884);
  if (!Number.isInteger(port) || port < 0) {
    throw new Error(
      `PLANTGRAPH_DEMO_MQTT_PORT must be an integer of at least 0, got "${env.PLANTGRAPH_DEMO_MQTT_PORT}".`,
    );
  }
  const erp = Number(env.PLANTGRAPH_DEMO_ERP_POLL_MS ?? 30_000);
  if (!(erp === 0 || (Number.isInteger(erp) && erp >= 1000))) {
    throw new Error(
      `PLANTGRAPH_DEMO_ERP_POLL_MS must be 0 (no demo ERP) or at least 1000, got "${env.PLANTGRAPH_DEMO_ERP_POLL_MS}".`,
    );
  }
  const opcua = env.PLANTGRAPH_DEMO_OPCUA_PORT;
  const opcuaPort = opcua === undefined || opcua === '' ? null : Number(opcua);
  if (opcuaPort !== null && !(Number.isInteger(opcuaPort) && opcuaPort >= 0 && opcuaPort < 65536)) {
    throw new Error(`PLANTGRAPH_DEMO_OPCUA_PORT must be a TCP port (0: any free one), got "${opcua}".`);
  }
  return {
    opcuaPort,
    erpPollIntervalMs: erp,
    simulatorIntervalMs: interval,
    mqttUrl: env.PLANTGRAPH_DEMO_MQTT_URL || undefined,
    mqttPort: port,
    ...overrides,
  };
}
