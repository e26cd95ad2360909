import { resolve } from 'node:path';

/**
 * The embedded database's folder (`PLANTGRAPH_DATA_DIR`, default `.plantgraph/data`), resolved; a
 * `memory://` one as given. Its own module: the CLI reads it before the hub's modules load (ADR 0070).
 */
export function embeddedDataDir(env: NodeJS.ProcessEnv): string {
  const dataDir = env.PLANTGRAPH_DATA_DIR ?? '.plantgraph/data';
  return dataDir.startsWith('memory://') ? dataDir : resolve(dataDir);
}
