/**
 * The editor definitions (`src/nodes/*.html`) as the Node-RED editor runs them: their scripts in
 * one browser-like scope, with the editor's `RED.nodes` for what they call when a node is added.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

type Definition = { onadd?: (this: Record<string, unknown>) => void };
type Config = { id: string; type: string; z?: string };

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'nodes');
/** Loads every definition, hub config first as the package lists it, against this workspace's configs. */
function loadEditor(configs: Config[]): Record<string, Definition> {
  const definitions: Record<string, Definition> = {};
  const scope = {
    window: {} as Record<string, unknown>,
    RED: {
      settings: { plantgraphHubEmbedded: true },
      validators: { number: () => () => true, regex: () => () => true },
      nodes: {
        registerType: (type: string, definition: Definition) => (definitions[type] = definition),
        eachConfig: (fn: (c: Config) => void) => configs.forEach(fn),
      },
    },
  };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.html'))
    .sort((a, b) => Number(b === 'plantgraph-hub.html') - Number(a === 'plantgraph-hub.html'));
  for (const file of files)
    for (const [, code] of readFileSync(join(dir, file), 'utf8').matchAll(
      /<script type="text\/javascript">([\s\S]*?)<\/script>/g,
    ))
      runInNewContext(`var window = this.window; var RED = this.RED; ${code}`, scope);
  return definitions;
}

const NODES = [
  'plantgraph-equipment-signal',
  'plantgraph-event-in',
  'plantgraph-event-out',
  'plantgraph-graphql',
  'plantgraph-alert-rule',
];

describe('a new PlantGraph node in the editor', () => {
  it.each(NODES)('%s takes the workspace’s only hub config', (type) => {
    const added = (configs: Config[], node: Record<string, unknown> = { z: 'tab-1', hub: '' }) => {
      loadEditor(configs)[type]!.onadd!.call(node);
      return node.hub;
    };
    expect(added([{ id: 'h1', type: 'plantgraph-hub' }])).toBe('h1');
    expect(
      added([
        { id: 'h1', type: 'plantgraph-hub', z: 'tab-1' },
        { id: 'm', type: 'mqtt-broker' },
      ]),
    ).toBe('h1');
    // Two to choose from, or only one on another workspace: the engineer chooses.
    expect(
      added([
        { id: 'h1', type: 'plantgraph-hub' },
        { id: 'h2', type: 'plantgraph-hub' },
      ]),
    ).toBe('');
    expect(added([{ id: 'h1', type: 'plantgraph-hub', z: 'tab-2' }])).toBe('');
    expect(added([])).toBe('');
    // A pasted node keeps the hub it had.
    expect(added([{ id: 'h1', type: 'plantgraph-hub' }], { z: 'tab-1', hub: 'h9' })).toBe('h9');
  });
});
