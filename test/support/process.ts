import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, startTestHub, TEST_NATS_URL } from './harness.js';
import { HUB_START_TIMEOUT_MS } from './timeouts.js';

export const CLI = fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));

export interface HubProcess {
  url: string;
  /** The local admin API key (development mode without an identity provider): printed, or read from its file. */
  token: string | null;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the hub gets no chance to clean up. */
  kill(): Promise<void>;
  /** Throws, with its exit and last output, if the hub ended by itself after it was ready. */
  checkRunning(): void;
}

/** Runs `plantgraph start` as its own process, the way users run it; resolves once it is ready. */
export async function spawnHub(
  env: Record<string, string>,
  args: string[] = [],
  // Generous: on two cores shared with other suites a start (migrations, the demo, the flows process) takes 20-45 s,
  // and over a minute at load 20.
  { readyWithinMs = HUB_START_TIMEOUT_MS } = {},
): Promise<HubProcess> {
  const child = spawn(process.execPath, [CLI, 'start', ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running (with its flows process) after the test gave up on it.
      child.kill('SIGKILL');
      reject(new Error(`hub did not start within ${readyWithinMs / 1000} s:\n${output}`));
    }, readyWithinMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready at (http:\/\/[^\s\\"]+)/.exec(output); // a text line, or a JSON one's msg
      // The API answers before the flows run (ADR 0029); tests of a hub with flows want them running.
      const flowsSettled =
        !output.includes('flow editor (plant') || /\[flows\] (running|the flows did not start)/.test(output);
      if (match && output.includes('stop with Ctrl-C') && flowsSettled) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before it was ready:\n${output}`));
    });
  });
  let signalled = false;
  const signal = async (name: NodeJS.Signals) => {
    signalled = true;
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  const checkRunning = () => {
    if (signalled || (child.exitCode === null && child.signalCode === null)) return;
    const how = child.signalCode ?? `exit code ${child.exitCode}`;
    throw new Error(
      `the hub process ended by itself (${how}) after it was ready; its last output:\n${output.slice(-4000)}`,
    );
  };
  // Printed when this start made it (a text line or a JSON one's msg); else the banner says which file keeps it.
  const kept = /local admin API key: kept in ([^\s\\"]+) /.exec(output)?.[1];
  const token = kept
    ? readFileSync(kept, 'utf8').trim()
    : (/local admin API key[\s\S]*?(pgk_[\w-]+)/.exec(output)?.[1] ?? null);
  return {
    url,
    token,
    child,
    output: () => output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    checkRunning,
  };
}

/** An API key made the production way, with the CLI against the installation `env` points at. */
export async function createApiKeyWithCli(env: Record<string, string>, name: string, grant = 'admin@*') {
  const created = await promisify(execFile)(
    process.execPath,
    [CLI, 'api-key', 'create', '--name', name, '--grant', grant],
    {
      env: { ...env, PATH: process.env.PATH ?? '' },
    },
  );
  return /\n(pgk_\S+)/.exec(created.stdout)![1]!;
}

/**
 * A PostgreSQL database seeded with the demo plant and the environment of a hub process on it and NATS,
 * its connector host quick to relay, sweep and take over jobs (for tests that kill the hub): `extra` is
 * added to the environment.
 */
export async function demoDatabaseForKills(namespace: string, secret: string, extra: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const seeding = await startTestHub('postgres+nats', {
    databaseUrl: database.url,
    natsNamespace: namespace,
    demo: true,
    simulatorIntervalMs: 0,
  });
  await seeding.close();
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    NATS_URL: TEST_NATS_URL,
    PLANTGRAPH_NATS_NAMESPACE: namespace,
    PLANTGRAPH_FLOWS: 'off',
    PLANTGRAPH_CONNECTOR_SECRET: secret,
    PLANTGRAPH_CONNECTOR_RELAY_INTERVAL_MS: '100',
    PLANTGRAPH_CONNECTOR_HEALTH_INTERVAL_MS: '600000',
    PLANTGRAPH_CONNECTOR_SWEEP_AFTER_MS: '2000',
    PLANTGRAPH_CONNECTOR_JOB_LOCK_MS: '3000',
    ...extra,
  };
  return { database, env };
}
