import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql for the hub and the tests, or schemas come from "another realm".
    alias: {
      graphql: require.resolve('graphql'),
      // The n8n nodes' unit tests: n8n-workflow (Sustainable Use License) is never in the hub's install.
      'n8n-workflow': new URL('./test/n8n/n8n-workflow-stub.ts', import.meta.url).pathname,
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'flows/node-red/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: PGlite instances and hub processes compete for them.
    maxWorkers: 2,
  },
});
