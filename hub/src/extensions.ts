import type { ConnectorDefinition } from '@plantgraph/connector-sdk';
import type { HubConfig } from './config.js';
import type { Database } from './infrastructure/database/database.js';
import type { ExtensionBaseline, UnpackingAhead } from './infrastructure/database/embedded-baseline.js';
import type { MessageBus } from './infrastructure/bus/message-bus.js';
import type { Services } from './services.js';

export type HubLog = Pick<Console, 'log' | 'warn' | 'error'>;

/** What a hub extension sees of the hub it runs in. */
export interface HubExtensionContext {
  readonly config: HubConfig;
  readonly db: Database;
  readonly bus: MessageBus;
  readonly services: Services;
  readonly log: HubLog;
  /** Registers a step for the hub's close; with the hub's own steps, what started last stops first. */
  onClose(step: () => Promise<unknown>): void;
  /** The extension whose `embeddedBaseline` this start made the embedded folder from (its name), else null. */
  readonly baselineFrom: string | null;
}

/**
 * Something a hub runs besides its own services (the demo plant, later connectors), without the
 * hub knowing it by name. Hooks run in the order the extensions are given; a hook that throws
 * stops the start, and what already started is closed again.
 */
export interface HubExtension {
  /** Names the extension in errors. */
  readonly name: string;
  /** Before the embedded flows start (also when they are off): e.g. store a plant's first flows. */
  beforeFlows?(hub: HubExtensionContext): Promise<void>;
  /** Once the hub's services run (signal ingest, OEE updates, escalation), before it listens. */
  afterServices?(hub: HubExtensionContext): Promise<void>;
  /**
   * A data folder with the extension's data, from which a new embedded folder is made instead of
   * the hub's baseline (its times moved to the start's); null when there is none. The first
   * extension that has one gives it.
   */
  embeddedBaseline?(): ExtensionBaseline | null;
}

export interface HubOptions {
  extensions?: readonly HubExtension[];
  /** The connector types this hub can run (e.g. `@plantgraph/connector-sap-s4hana`'s definition). */
  connectors?: readonly ConnectorDefinition[];
  /** A new embedded folder's baseline, already being unpacked (the CLI starts it first, ADR 0070). */
  unpackingAhead?: UnpackingAhead | null;
}

/**
 * What a package loaded by the CLI (`plantgraph start --demo` loads `@plantgraph/demo`) exports:
 * its extension, configured from the hub's environment. The hub never depends on such a package.
 */
export interface HubExtensionPackage {
  extensionFromEnv(env: NodeJS.ProcessEnv): HubExtension;
}

/** Runs one hook of every extension in turn; an error names the extension. */
export async function runHook(
  extensions: readonly HubExtension[],
  hook: 'beforeFlows' | 'afterServices',
  hub: HubExtensionContext,
): Promise<void> {
  for (const extension of extensions) {
    try {
      await extension[hook]?.(hub);
    } catch (err) {
      throw new Error(`Hub extension "${extension.name}" failed (${hook}): ${(err as Error).message}`, { cause: err });
    }
  }
}
