// The OPC UA connector as an engineer sets it up through GraphQL, against the machine simulator.
import { nodeId, type OpcUaMachineSimulator } from '@plantgraph/opcua-simulator';
import { expect } from 'vitest';
import type { TestHub } from './harness.js';

export const PRESS = 'acme/berlin/assembly/line-1/press-1';

const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) {
  configureConnector(input: $i) { __typename ... on ErrorResult { message } } }`;

/** Creates or changes the instance; `mapping` absent: an empty one (to browse first). */
export async function configureOpcUa(
  hub: TestHub,
  name: string,
  sim: OpcUaMachineSimulator,
  mapping: unknown = { equipment: [] },
  settings: Record<string, unknown> = {},
) {
  const { configureConnector } = await hub.gql(CONFIGURE, {
    i: {
      name,
      type: 'opcua',
      scope: 'acme/berlin',
      grants: [{ role: 'Maintenance', scope: 'acme/berlin' }],
      enabled: true,
      settings: { endpointUrl: sim.endpointUrl, publishingIntervalMs: 50, samplingIntervalMs: 0, mapping, ...settings },
    },
  });
  return configureConnector as { __typename: string; message?: string };
}

export interface Node {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  dataType: string | null;
}

export async function browse(hub: TestHub, name: string, nodeId?: string): Promise<Node[]> {
  const { browseConnector } = await hub.gql(
    `query ($n: String!, $id: String) { browseConnector(name: $n, nodeId: $id) {
      __typename ... on ConnectorNodes { nodes { nodeId browseName displayName nodeClass dataType } }
      ... on ErrorResult { message } } }`,
    { n: name, id: nodeId ?? null },
  );
  expect(browseConnector.__typename, browseConnector.message).toBe('ConnectorNodes');
  return browseConnector.nodes;
}

/** The press's whole mapping, every signal kind, with node ids as the simulator names them. */
export function pressMapping(machine = 'press-1', path = PRESS) {
  return {
    equipment: [
      {
        path,
        state: {
          nodeId: nodeId(machine, 'State'),
          codes: {
            '1': 'Running',
            '2': 'Idle',
            '3': { state: 'Down', reason: 'breakdown' },
            '4': 'Maintenance',
            '5': { state: 'Down', reason: 'jam' },
          },
        },
        good: { nodeId: nodeId(machine, 'GoodCount'), counter: 'cumulative' },
        scrap: { nodeId: nodeId(machine, 'ScrapCount'), counter: 'cumulative' },
        cycle: { nodeId: nodeId(machine, 'CycleTime'), unit: 'ms' },
        values: [
          {
            nodeId: nodeId(machine, 'Temperature'),
            name: 'temperature',
            unit: 'degC',
            deadband: { type: 'absolute', value: 0.5 },
          },
        ],
      },
    ],
  };
}

export interface Stored {
  good: number;
  scrap: number;
  cycles: number;
  counts: number;
}

/** What the hub stored from this connector (its sources start with `opcua:<name>:`). */
export async function stored(hub: TestHub, name: string): Promise<Stored> {
  const [row] = await hub.db.em.fork().execute<{ good: string; scrap: string; cycles: string; counts: string }[]>(
    `select coalesce(sum(good), 0) as good, coalesce(sum(scrap), 0) as scrap,
       count(*) filter (where cycle_time_ms is not null) as cycles, count(*) as counts
     from production_count where source like ?`,
    [`opcua:${name}:%`],
  );
  return {
    good: Number(row!.good),
    scrap: Number(row!.scrap),
    cycles: Number(row!.cycles),
    counts: Number(row!.counts),
  };
}

export async function health(hub: TestHub, name: string) {
  const { connector } = await hub.gql(
    `query ($n: String!) { connector(name: $n) { lastError
    streamHealth { endpoint connected lastValueAt itemsBad items buffered dropped detail } } }`,
    { n: name },
  );
  return connector as {
    lastError: string | null;
    streamHealth:
      | {
          connected: boolean;
          itemsBad: number;
          items: number;
          buffered: number;
          dropped: number;
          lastValueAt: string | null;
        }[]
      | null;
  };
}

export const equipmentState = async (hub: TestHub, path: string) =>
  (await hub.gql(`query ($p: String!) { equipment(path: $p) { state stateReason } }`, { p: path })).equipment as {
    state: string;
    stateReason: string | null;
  };
