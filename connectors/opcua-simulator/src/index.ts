// An OPC UA machine simulator: a node-opcua server on 127.0.0.1 with, per machine, the variables a
// press or a filler exposes (state code and state enumeration, good and scrap totals, parts per
// change, last cycle time, temperature), driven by the test or the demo, with fault injection: a
// restart of the server on the same port (values kept, sessions and subscriptions gone) and bursts.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type NodeOpcua = typeof import('node-opcua');
type UAVariable = import('node-opcua').UAVariable;

/** The state codes of the `State` variable (a PLC's code table). */
export const STATE_CODES = { Running: 1, Idle: 2, Down: 3, Maintenance: 4, Jammed: 5 } as const;
/** The names of the `StateEnum` enumeration (MachineStateEnumeration), by value. */
export const STATE_ENUM = ['Unknown', 'Running', 'Idle', 'Faulted', 'Maintenance'] as const;

export interface MachineValues {
  state: number;
  stateEnum: number;
  good: number;
  scrap: number;
  goodDelta: number;
  cycleTimeMs: number;
  temperature: number;
}

const VARIABLES = [
  ['State', 'Int32', 'state'],
  ['StateEnum', null, 'stateEnum'],
  ['GoodCount', 'UInt32', 'good'],
  ['ScrapCount', 'UInt32', 'scrap'],
  ['GoodDelta', 'UInt32', 'goodDelta'],
  ['CycleTime', 'Double', 'cycleTimeMs'],
  ['Temperature', 'Double', 'temperature'],
] as const;

export interface SimulatorOptions {
  /** Machine names, e.g. press-1 (node ids `ns=1;s=<machine>.<Variable>`). */
  machines: string[];
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Users allowed besides anonymous: name → password. */
  users?: Record<string, string>;
  /** Allow anonymous sessions (default true). */
  anonymous?: boolean;
}

/** The node id of a machine's variable, as a mapping names it. */
export const nodeId = (machine: string, variable: (typeof VARIABLES)[number][0]) => `ns=1;s=${machine}.${variable}`;

export class OpcUaMachineSimulator {
  #opcua!: NodeOpcua;
  #server: import('node-opcua').OPCUAServer | null = null;
  #vars = new Map<string, UAVariable>();
  #values = new Map<string, MachineValues>();
  #pki = '';
  port = 0;
  /** Times the server was started (1 + restarts). */
  starts = 0;

  private constructor(private readonly o: SimulatorOptions) {}

  static async start(o: SimulatorOptions): Promise<OpcUaMachineSimulator> {
    const sim = new OpcUaMachineSimulator(o);
    sim.#opcua = await import('node-opcua');
    sim.#pki = await mkdtemp(join(tmpdir(), 'plantgraph-opcua-sim-'));
    sim.port = o.port ?? (await freePort());
    for (const m of o.machines)
      sim.#values.set(m, { state: 2, stateEnum: 2, good: 0, scrap: 0, goodDelta: 0, cycleTimeMs: 0, temperature: 20 });
    await sim.#startServer();
    return sim;
  }

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}/plantgraph`;
  }

  values(machine: string): MachineValues {
    return { ...this.#machine(machine) };
  }

  /** Sets the state code (STATE_CODES) and the enumeration alike. */
  setState(machine: string, state: keyof typeof STATE_CODES): void {
    const enumValue = { Running: 1, Idle: 2, Down: 3, Jammed: 3, Maintenance: 4 }[state];
    this.#set(machine, 'state', STATE_CODES[state]);
    this.#set(machine, 'stateEnum', enumValue);
  }

  /** One machine cycle: the good or scrap total counts up, the parts of this cycle and its time are set. */
  produce(machine: string, parts: { good?: number; scrap?: number; cycleTimeMs?: number }): void {
    const v = this.#machine(machine);
    if (parts.good) {
      this.#set(machine, 'good', v.good + parts.good);
      this.#set(machine, 'goodDelta', parts.good);
    }
    if (parts.scrap) this.#set(machine, 'scrap', v.scrap + parts.scrap);
    if (parts.cycleTimeMs) this.#set(machine, 'cycleTimeMs', parts.cycleTimeMs);
  }

  /** A counter reset at the PLC (e.g. a shift change): the total goes back to `to`. */
  resetCounter(machine: string, to = 0): void {
    this.#set(machine, 'good', to);
  }

  /** The scrap total reset at the PLC. */
  resetScrap(machine: string, to = 0): void {
    this.#set(machine, 'scrap', to);
  }

  setTemperature(machine: string, degC: number): void {
    this.#set(machine, 'temperature', degC);
  }

  /** `n` temperature changes at once (a burst), each a distinct value. */
  burst(machine: string, n: number): void {
    const base = this.#machine(machine).temperature;
    for (let i = 1; i <= n; i++) this.#set(machine, 'temperature', base + i / 1000);
  }

  /** Stops the server and starts a new one on the same port: values kept, sessions gone. */
  async restart(downMs = 500): Promise<void> {
    await this.#stopServer();
    await new Promise((r) => setTimeout(r, downMs));
    await this.#startServer();
  }

  /** Server side: sessions currently open (a client reconnected after a restart has one again). */
  get sessions(): number {
    return this.#server?.currentSessionCount ?? 0;
  }

  /** Subscriptions the server holds (one per connected stream). */
  get subscriptions(): number {
    return this.#server?.currentSubscriptionCount ?? 0;
  }

  async stop(): Promise<void> {
    await this.#stopServer();
    await rm(this.#pki, { recursive: true, force: true });
  }

  #machine(machine: string): MachineValues {
    const v = this.#values.get(machine);
    if (!v) throw new Error(`no machine ${machine} in the simulator (${[...this.#values.keys()].join(', ')})`);
    return v;
  }

  #set(machine: string, key: keyof MachineValues, value: number): void {
    this.#machine(machine)[key] = value;
    const variable = this.#vars.get(`${machine}.${key}`);
    if (!variable) return; // down (a restart): the new server starts with the value
    const type = VARIABLES.find((v) => v[2] === key)![1];
    const { DataType, Variant, StatusCodes } = this.#opcua;
    variable.setValueFromSource(
      new Variant({ dataType: type ? DataType[type] : DataType.Int32, value }),
      StatusCodes.Good,
    );
  }

  async #startServer(): Promise<void> {
    const { OPCUAServer, OPCUACertificateManager, nodesets, DataType } = this.#opcua;
    const users = this.o.users ?? {};
    const server = new OPCUAServer({
      port: this.port,
      hostname: '127.0.0.1',
      host: '127.0.0.1',
      resourcePath: '/plantgraph',
      nodeset_filename: [nodesets.standard],
      serverCertificateManager: new OPCUACertificateManager({
        rootFolder: join(this.#pki, 'server'),
        automaticallyAcceptUnknownCertificate: true,
      }),
      allowAnonymous: this.o.anonymous ?? true,
      userManager: { isValidUser: (name: string, password: string) => users[name] === password },
      maxConnectionsPerEndpoint: 100,
      // 0: every change of a variable is reported (exception-based, no coalescing window), as a
      // PLC that timestamps each cycle would; the connector's tests count every part and cycle.
      serverCapabilities: { minSupportedSampleRate: 0, maxMonitoredItemsPerCall: 100_000 } as never,
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    const stateEnum = ns.addEnumerationType({ browseName: 'MachineStateEnumeration', enumeration: [...STATE_ENUM] });
    const machines = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Machines' });
    this.#vars.clear();
    for (const [machine, values] of this.#values) {
      const folder = ns.addObject({ organizedBy: machines, browseName: machine });
      for (const [name, type, key] of VARIABLES) {
        const variable = ns.addVariable({
          componentOf: folder,
          browseName: name,
          nodeId: `s=${machine}.${name}`,
          dataType: type ?? stateEnum,
          minimumSamplingInterval: 0,
          value: { dataType: type ? DataType[type] : DataType.Int32, value: values[key] },
        });
        this.#vars.set(`${machine}.${key}`, variable);
      }
    }
    await server.start();
    this.#server = server;
    this.starts++;
  }

  async #stopServer(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    this.#vars.clear();
    await server?.shutdown(0);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
