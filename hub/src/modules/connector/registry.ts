import type { ConnectorDefinition } from '@plantgraph/connector-sdk';

/** The connector types this hub can run, by type name (given at start; the hub knows none by name). */
export class ConnectorRegistry {
  readonly #definitions = new Map<string, ConnectorDefinition>();

  constructor(definitions: readonly ConnectorDefinition[] = []) {
    for (const d of definitions) {
      if (this.#definitions.has(d.type)) throw new Error(`Two connector definitions have the type "${d.type}".`);
      this.#definitions.set(d.type, d);
    }
  }

  get(type: string): ConnectorDefinition | undefined {
    return this.#definitions.get(type);
  }

  all(): ConnectorDefinition[] {
    return [...this.#definitions.values()];
  }
}
