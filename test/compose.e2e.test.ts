import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestDatabase, deleteNatsNamespace, graphqlRaw, TEST_NATS_URL, uniqueName } from './support/harness.js';
import { freePort } from './support/private-service.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_TEXT = readFileSync(`${ROOT}docker-compose.yml`, 'utf8');
const TEST_REDIS_URL = process.env.PLANTGRAPH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** What a user puts in `.env` next to the compose file, as its header and the README ask. */
const DOT_ENV = { PLANTGRAPH_FLOWS_CREDENTIAL_SECRET: randomBytes(32).toString('hex') };

type Service = {
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
};
const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, Service> };

/**
 * docker-compose.yml replayed without a container engine: the `migrate` and `hub` services'
 * commands and environment (the image's ENV and CMD from the Dockerfile, then the service's),
 * the header's commands and the hub's health check, run natively in production mode against the
 * local PostgreSQL (a fresh database), NATS and Redis. Only where services are reached is changed.
 */
describe('docker-compose.yml, replayed natively', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('migrates, makes the first key as its header says, and starts a hub that gets ready', async () => {
    const local = await localServices();
    cleanup.push(...local.cleanup);
    const { migrate, hub } = compose.services;
    expect(hub!.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });

    // 1. `docker compose up`: migrate runs to completion first.
    const migrated = await runService(migrate!, migrate!.command!, local.where);
    expect(migrated.stdout).toMatch(/\[migrate\] applied: /);

    // 2. The header's commands, in order (the first key of a production installation).
    const headerCommands = [...COMPOSE_TEXT.matchAll(/^#\s+docker compose run --rm (\S+)(.*)$/gm)];
    expect(headerCommands.length).toBeGreaterThanOrEqual(2);
    let key: string | undefined;
    for (const [, service, rest] of headerCommands) {
      const args = shellWords(rest!.trim());
      const result = await runService(
        compose.services[service!]!,
        args.length ? args : compose.services[service!]!.command!,
        local.where,
      );
      key = /\n(pgk_\S+)/.exec(result.stdout)?.[1] ?? key;
    }
    expect(key).toMatch(/^pgk_/);

    // 3. The hub: the image's command with the service's environment, ready by its own health check.
    const port = await freePort();
    const environment = serviceEnvironment(hub!, { ...local.where, port });
    expect(environment.NODE_ENV).toBe('production');
    const child = spawn(process.execPath, imageCommand().slice(1), { cwd: ROOT, env: environment, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    });
    const healthcheck = hub!.healthcheck!.test;
    expect(healthcheck[0]).toBe('CMD');
    expect(healthcheck.join(' ')).toContain('/readyz');
    const probe = healthcheck.slice(1).map((a) => a.replaceAll('127.0.0.1:4000', `127.0.0.1:${port}`));
    const deadline = Date.now() + 120_000;
    while (spawnSync(process.execPath, probe.slice(1), { timeout: 10_000 }).status !== 0) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the hub did not get ready (exit ${child.exitCode}):\n${output}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const viewer = await graphqlRaw(`http://127.0.0.1:${port}`, { query: '{ viewer { name } }' }, key);
    expect(viewer.body).toEqual({ data: { viewer: { name: 'api-key:ops-admin' } } });
  }, 300_000);

  it.runIf(hasDockerCompose())('is valid for docker-compose config', async () => {
    await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...DOT_ENV },
    });
  });
});

type Where = { database: string; nats: string; redis: string; namespace: string; port?: number };

/** A fresh (unmigrated) database on the local PostgreSQL, and a NATS namespace of its own. */
async function localServices() {
  const database = await createTestDatabase({ migrated: false });
  const namespace = uniqueName('c');
  const where: Where = { database: database.url, nats: TEST_NATS_URL, redis: TEST_REDIS_URL, namespace };
  return { where, cleanup: [() => database.drop(), () => deleteNatsNamespace(namespace)] };
}

/**
 * The environment a container of `service` gets: the image's ENV, then the service's (with the
 * `${…}` of `.env`), where only the addresses of the other services (and the hub's own port and
 * interface: loopback here) are the local ones. The NATS namespace keeps this run apart from others.
 */
function serviceEnvironment(service: Service, where: Where): Record<string, string> {
  const environment: Record<string, string> = { ...imageEnvironment() };
  for (const [name, value] of Object.entries(service.environment ?? {})) environment[name] = interpolate(String(value));
  const local: Record<string, string> = { DATABASE_URL: where.database, NATS_URL: where.nats, REDIS_URL: where.redis };
  for (const [name, value] of Object.entries(environment)) {
    // postgres://plantgraph:plantgraph@postgres:5432/plantgraph → the local server's fresh database.
    if (name in local && reachesAService(value)) environment[name] = local[name]!;
  }
  if (environment.HOST) environment.HOST = '127.0.0.1';
  if (where.port) environment.PORT = String(where.port);
  return { ...environment, PATH: process.env.PATH ?? '', PLANTGRAPH_NATS_NAMESPACE: where.namespace };
}

/** Whether a URL points at another service of the compose file (e.g. `nats://nats:4222`). */
function reachesAService(url: string): boolean {
  const host = /^\w+:\/\/(?:[^@/]*@)?([^:/]+)/.exec(url)?.[1];
  return host !== undefined && host in compose.services;
}

async function runService(service: Service, command: string[], where: Where) {
  expect(command[0]).toBe('node');
  return run(process.execPath, command.slice(1), {
    cwd: ROOT,
    env: serviceEnvironment(service, where),
    timeout: 120_000,
  });
}

/** `ENV` of the Dockerfile's last stage (the image compose runs). */
function imageEnvironment(): Record<string, string> {
  const stage = readFileSync(`${ROOT}Dockerfile`, 'utf8')
    .split(/^FROM /m)
    .at(-1)!;
  const environment: Record<string, string> = {};
  for (const [, line] of stage.matchAll(/^ENV (.+)$/gm))
    for (const [, name, value] of line!.matchAll(/(\w+)=(\S+)/g)) environment[name!] = value!;
  return environment;
}

/** `CMD` of the Dockerfile's last stage, for services without a `command`. */
function imageCommand(): string[] {
  const stage = readFileSync(`${ROOT}Dockerfile`, 'utf8')
    .split(/^FROM /m)
    .at(-1)!;
  return JSON.parse(/^CMD (\[.+\])$/m.exec(stage)![1]!) as string[];
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, from the `.env` file's values. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, text?: string) => {
    const given = (DOT_ENV as Record<string, string>)[name];
    if (given) return given;
    if (kind === '?') throw new Error(`compose would refuse to start: ${text}`);
    return kind === '-' ? text! : '';
  });
}

/** Words of a shell command line with single or double quotes (the header's commands). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function hasDockerCompose(): boolean {
  const found = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
  if (!found) console.warn('[compose] docker-compose is not installed: `docker-compose config` was not run.');
  return found;
}
