import type { ConnectorDefinition } from '@plantgraph/connector-sdk';
import { Subjects } from './subjects.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromEnv, type HubConfig } from './config.js';
import {
  migrate,
  MIGRATIONS_SRC,
  nativePglite,
  openDatabase,
  seededFromBaseline,
} from './infrastructure/database/database.js';
import { listBackups, restoreBackup, writeBackup } from './infrastructure/database/embedded-backup.js';
import { lockFolder } from './infrastructure/database/folder-lock.js';
import { printHubSchema } from './graphql/schema.js';
import { InProcessBus } from './infrastructure/bus/in-process-bus.js';
import { type Grant, Role } from '@plantgraph/schema';
import { ApiKeyService } from './auth/api-keys.js';
import { type LocalAdminKey, rotateLocalAdminKey } from './auth/local-admin-key.js';
import { UnitOfWork } from './core/unit-of-work.js';
import { isEquipmentPath } from './core/keys.js';
import { startHub } from './hub.js';
import { DEMO_PACKAGE } from './start-ahead.js';
import type { UnpackingAhead } from './infrastructure/database/embedded-baseline.js';
import type { HubExtension, HubExtensionPackage } from './extensions.js';
import { FlowStore } from './modules/flows/storage.js';
import { InvalidFlowsError, parseFlows } from './modules/flows/flow-document.js';
import { checkFlowPolicy, type FlowPolicy } from './modules/flows/flow-policy.js';
import { RECORD_USAGE, recordCommand } from './record-command.js';
import { createHubLog } from './observability/logger.js';
import { OPCUA_CERTIFICATES_USAGE, opcuaCertificatesCommand } from './opcua-certificate-commands.js';

export const SDL_FILE = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));
/** Connector packages loaded when installed, unless PLANTGRAPH_CONNECTOR_PACKAGES names others. */
const CONNECTOR_PACKAGES = [
  '@plantgraph/connector-sap-s4hana',
  '@plantgraph/connector-opcua',
  '@plantgraph/connector-sparkplug',
  '@plantgraph/connector-cmms-maintainx',
  '@plantgraph/connector-qms-rest',
  '@plantgraph/connector-b2mml',
].join(',');

const USAGE = `plantgraph <command>

  start [--demo]      run the hub (embedded unless DATABASE_URL / NATS_URL are set);
                      --demo seeds the demo plant and runs its machine simulator
  migrate             apply pending database migrations (DATABASE_URL, or the embedded folder;
                      an embedded folder with data is backed up first, to <parent>/backups)
  backup <file>       write the embedded database (PLANTGRAPH_DATA_DIR) to <file> (.tar.gz);
                      the hub must be stopped (one process per folder)
  restore <file>      replace the embedded database with that backup; the current folder is
                      kept next to it as <folder>.replaced-<time>
  api-key create --name <name> --grant <role>@<scope> [--grant …] [--expires <ISO date>]
                      create an API key directly in the database (to bootstrap production);
                      prints the secret once
  api-key rotate      development: a new local admin key (kept in the data folder); the old one
                      stops working (stop an embedded hub first: one process per folder)
  flows export <plant> [--file <path>]
                      write the plant's current flows (default flows/plants/<plant>.json)
  flows import <plant> [--file <path>]
                      store that file as the plant's new flows revision (deployed by "cli");
                      the replica running the flows loads it within seconds
${OPCUA_CERTIFICATES_USAGE}${RECORD_USAGE}  schema              write the GraphQL SDL to schema/schema.graphql
  migration:create    write a migration for model changes to hub/src/infrastructure/database/migrations
`;

/** Runs one command; `unpackingAhead` is what the CLI started before loading this (`start`). */
export async function main(argv: string[], unpackingAhead: UnpackingAhead | null = null): Promise<void> {
  const [command, ...flags] = argv;
  switch (command) {
    case 'start': {
      const config = configFromEnv(process.env, flags.includes('--demo') ? { demo: true } : {});
      const log = createHubLog(config.logFormat ?? (config.production && !process.stdout.isTTY ? 'json' : 'text'));
      log.log(
        `[hub] starting: database ${config.databaseUrl ? redact(config.databaseUrl) : `embedded (PGlite) in ${config.dataDir}`}, bus ${config.natsUrl ?? 'in-process'}`,
      );
      // The demo is a package of its own, loaded only when asked for: the hub never depends on it.
      const demo = config.demo ? await loadExtensionPackage(DEMO_PACKAGE, 'The demo (--demo, PLANTGRAPH_DEMO)') : null;
      const extensions = demo ? [demo] : [];
      const connectors = await loadConnectorPackages(process.env.PLANTGRAPH_CONNECTOR_PACKAGES ?? CONNECTOR_PACKAGES);
      const hub = await startHub(config, log, { extensions, connectors, unpackingAhead });
      const token = localAdminKeyBanner(hub.localAdminKey);
      const idp = hub.devIdentityProvider;
      const signIn = idp
        ? `
  development sign-in (for development only; never in production; ADR 0015):
    people of the plant sign in by employee id (e.g. E1001) with the password ${idp.password}
    token endpoint (grant_type=password):  ${idp.tokenEndpoint}
    sign-in form:                          ${hub.url}/dev-idp/login`
        : '';
      // From the process's start (performance.now() counts from it), imports and migrations included.
      const startedIn = `${(performance.now() / 1000).toFixed(1)} s`;
      log.log(`[hub] ready at ${hub.url} (started in ${startedIn})
  GraphQL (HTTP and WebSocket):  ${hub.url}/graphql${config.production ? '' : '  (open it in a browser: the GraphQL IDE)'}${
    hub.consolePath ? `\n  plant console (andon, OEE, orders, station):  ${hub.url}${hub.consolePath}` : ''
  }
  health / readiness:            ${hub.url}/healthz  ${hub.url}/readyz${
    hub.flows
      ? `
  flow editor (plant "${hub.flows.plant}"):  ${hub.url}/flows/  (sign in with a hub token or API key as the password)
  flows' http in endpoints:      ${hub.url}/flows-http/…`
      : ''
  }${
    config.demo
      ? `
  demo plant "acme" is live; try:  query { equipment(path: "acme") { name children { path state } } }`
      : ''
  }${token}${signIn}
  stop with Ctrl-C`);
      const stop = async () => {
        log.log('[hub] stopping');
        await hub.close();
        process.exit(0);
      };
      void hub.flowsStarted.then(() => {
        if (hub.flows?.status.status === 'running')
          log.log(`[flows] running (started in ${(performance.now() / 1000).toFixed(1)} s)`);
      });
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'migrate': {
      const config = configFromEnv();
      console.log(
        `[migrate] ${config.databaseUrl ? redact(config.databaseUrl) : `embedded database in ${config.dataDir}`}`,
      );
      const db = await openDatabase(config);
      try {
        // A new embedded folder gets every migration in one step, from the baseline (ADR 0029).
        const applied = seededFromBaseline(db)
          ? (await db.migrator.getExecuted()).map((m) => m.name)
          : await migrate(db);
        const from = seededFromBaseline(db) ? 'made from the baseline, ' : '';
        console.log(
          applied.length ? `[migrate] ${from}applied: ${applied.join(', ')}` : '[migrate] already up to date',
        );
      } finally {
        await db.close();
      }
      return;
    }
    case 'api-key': {
      if (flags[0] === 'rotate') return rotateLocalAdmin();
      if (flags[0] !== 'create')
        throw new Error(
          'Usage: plantgraph api-key create --name <name> --grant <role>@<scope> [--grant …] [--expires <ISO date>]\n' +
            '       plantgraph api-key rotate   (development: a new local admin key)',
        );
      const name = option(flags, '--name');
      const grants = options(flags, '--grant').map(parseGrant);
      const expires = option(flags, '--expires', false);
      if (!name || !grants.length)
        throw new Error('api-key create needs --name and at least one --grant, e.g. --grant admin@acme');
      const expiresAt = expires ? new Date(expires) : null;
      if (expiresAt && Number.isNaN(expiresAt.getTime()))
        throw new Error(`--expires: "${expires}" is not a date (use e.g. 2027-01-31).`);
      const secret = await withApiKeys(configFromEnv(), (keys) =>
        keys.issueDirect(name, grants, 'system:cli', expiresAt),
      );
      console.log(
        `[api-key] created "${name}" with ${grants.map((g) => `${g.role}@${g.scope}`).join(', ')}. The secret is shown only now:\n${secret}`,
      );
      return;
    }
    case 'flows': {
      const [action, plant] = flags;
      if (!['export', 'import'].includes(action ?? '') || !plant || plant.startsWith('--'))
        throw new Error('Usage: plantgraph flows export|import <plant> [--file <path>]');
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(plant))
        throw new Error(`flows ${action}: the plant must be 1-64 letters, digits, "-" or "_", got "${plant}".`);
      const file = resolve(option(flags, '--file', false) ?? `flows/plants/${plant}.json`);
      const config = configFromEnv();
      // Read and check the file before touching the database: nothing is stored on an error.
      const text = action === 'import' ? await readFlowsFile(file, config.flows) : null;
      const db = await openDatabase(config);
      try {
        const pending = await db.migrator.getPending();
        if (pending.length) throw new Error('The database has pending migrations; run `plantgraph migrate` first.');
        // The deploy's event goes into the outbox; a running hub relays it.
        const store = new FlowStore(db, undefined, new Subjects(config.natsNamespace), config.flows);
        const where = config.databaseUrl ? redact(config.databaseUrl) : `the embedded database in ${config.dataDir}`;
        if (action === 'export') {
          const current = await store.current(plant);
          if (!current)
            throw new Error(
              `flows export: plant "${plant}" has no flows in ${where} yet (deploy from the editor or import a file first).`,
            );
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, current.flows);
          console.log(
            `[flows] exported plant "${plant}" revision ${current.id} (${current.nodeCount} nodes, deployed by ${current.deployedBy} at ${current.deployedAt.toISOString()}) from ${where} to ${file}`,
          );
        } else {
          const revision = await store.saveRevision(plant, text!, 'cli', 'cli');
          console.log(
            `[flows] imported ${file} into plant "${plant}" as revision ${revision.id} (${revision.nodeCount} nodes) in ${where}; the hub running the flows loads it within a few seconds`,
          );
        }
      } finally {
        await db.close();
      }
      return;
    }
    case 'backup': {
      const file = flags[0];
      if (!file || file.startsWith('--')) throw new Error('Usage: plantgraph backup <file.tar.gz>');
      const config = embeddedOnly('backup');
      if (existsSync(resolve(file)))
        throw new Error(`backup: ${resolve(file)} already exists; choose a new file name.`);
      const db = await openDatabase(config);
      try {
        const written = await writeBackup(await nativePglite(db), file);
        const size = `${(written.bytes / 1e6).toFixed(1)} MB`;
        console.log(
          `[backup] wrote the embedded database in ${config.dataDir} to ${written.file} (${size}); ` +
            `restore it with: plantgraph restore ${written.file}`,
        );
      } finally {
        await db.close();
      }
      return;
    }
    case 'restore': {
      const file = flags[0];
      if (!file || file.startsWith('--')) {
        const latest = listBackups(configFromEnv().dataDir)[0];
        throw new Error(`Usage: plantgraph restore <file.tar.gz>${latest ? ` (the latest backup is ${latest})` : ''}`);
      }
      const config = embeddedOnly('restore');
      const lock = lockFolder(config.dataDir);
      try {
        const { keptAs } = await restoreBackup(config.dataDir, file);
        const kept = keptAs ? `; the folder it replaced is kept as ${keptAs}` : '';
        console.log(
          `[restore] restored ${resolve(file)} into ${config.dataDir}${kept}. Start the hub; it applies any newer migrations.`,
        );
      } finally {
        lock.release();
      }
      return;
    }
    case 'opcua-certificates':
      return opcuaCertificatesCommand(configFromEnv(), flags);
    case 'record': {
      process.exitCode = await recordCommand(flags);
      return;
    }
    case 'schema': {
      await writeFile(SDL_FILE, `${await printHubSchema(new InProcessBus())}\n`);
      console.log(`[schema] wrote ${SDL_FILE}`);
      return;
    }
    case 'migration:create': {
      const db = await openDatabase(configFromEnv());
      try {
        await migrate(db);
        const result = await db.migrator.create(MIGRATIONS_SRC);
        console.log(
          result.diff.up.length
            ? `[migration] wrote ${MIGRATIONS_SRC}/${result.fileName}`
            : '[migration] the model and the database agree; nothing to write',
        );
      } finally {
        await db.close();
      }
      return;
    }
    default:
      console.log(USAGE);
      process.exitCode = command ? 2 : 0;
  }
}

/** The local admin key in the start banner: the secret when this start made it, else where it is kept. */
function localAdminKeyBanner(key: LocalAdminKey | null): string {
  if (!key) return '';
  if (!key.created)
    return `
  local admin API key: kept in ${key.file} (cat it to see it; \`plantgraph api-key rotate\` makes a new one)`;
  const kept = key.file
    ? `shown only now, kept in ${key.file}`
    : 'new at every start: PLANTGRAPH_DATA_DIR=memory:// keeps no file';
  return `
  local admin API key (${kept}; send "Authorization: Bearer <key>"):
    ${key.secret}`;
}

/** `plantgraph api-key rotate`: a new local admin key for a development hub; the old one stops working. */
async function rotateLocalAdmin(): Promise<void> {
  const config = configFromEnv();
  if (config.production)
    throw new Error(
      'api-key rotate changes the local admin key of a development hub; production has none. ' +
        'Create keys with `plantgraph api-key create` and revoke them with the revokeApiKey mutation.',
    );
  const key = await withApiKeys(config, (keys) => rotateLocalAdminKey(config, keys, 'system:cli'));
  console.log(
    `[api-key] a new local admin key; the previous one stopped working${key.file ? ` (kept in ${key.file})` : ''}:\n${key.secret}`,
  );
}

/** Runs `work` with the API keys of the configured database, once it is migrated. */
async function withApiKeys<T>(config: HubConfig, work: (keys: ApiKeyService) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  try {
    const pending = await db.migrator.getPending();
    if (pending.length) throw new Error('The database has pending migrations; run `plantgraph migrate` first.');
    return await work(new ApiKeyService(db, new UnitOfWork(db, new Subjects(config.natsNamespace))));
  } finally {
    await db.close();
  }
}

/**
 * Connector packages (comma-separated) whose definitions the hub runs; each exports definitions
 * (values with `type`, `settings` and `create`). A package that is not installed is skipped.
 */
async function loadConnectorPackages(names: string): Promise<ConnectorDefinition[]> {
  const definitions: ConnectorDefinition[] = [];
  for (const name of names
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)) {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(name)) as Record<string, unknown>;
    } catch (err) {
      const { code, message } = err as NodeJS.ErrnoException;
      if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${name}'`)) continue;
      throw new Error(`Loading the connector package ${name} failed: ${message}`, { cause: err });
    }
    // A package may export one definition under two names (`default` too): it is one definition.
    for (const value of new Set(Object.values(loaded))) {
      const d = value as Partial<ConnectorDefinition> | null;
      if (d && typeof d === 'object' && typeof d.type === 'string' && d.settings && typeof d.create === 'function')
        definitions.push(d as ConnectorDefinition);
    }
  }
  return definitions;
}

/**
 * Imports an extension package by name, typed by the hub's contract rather than a dependency on it
 * (the package depends on the hub). `asked` says what asked for it, for the errors.
 */
async function loadExtensionPackage(name: string, asked: string): Promise<HubExtension> {
  let loaded: Partial<HubExtensionPackage>;
  try {
    loaded = (await import(name)) as Partial<HubExtensionPackage>;
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${name}'`)) {
      throw new Error(
        `${asked} needs the package ${name}, which is not installed next to the hub ` +
          '(the repository has it after npm install, the image includes it). Without it, start the hub alone.',
      );
    }
    throw new Error(`${asked}: loading ${name} failed: ${message}`, { cause: err });
  }
  if (typeof loaded.extensionFromEnv !== 'function') {
    throw new Error(
      `${asked}: ${name} does not export extensionFromEnv(env); is it an extension package for this hub?`,
    );
  }
  return loaded.extensionFromEnv(process.env);
}

async function readFlowsFile(file: string, policy: FlowPolicy): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(
      `flows import: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  try {
    checkFlowPolicy(parseFlows(text, file), policy);
  } catch (err) {
    if (err instanceof InvalidFlowsError) throw new Error(`flows import: nothing stored. ${err.message}`);
    throw err;
  }
  return text;
}

function option(flags: string[], name: string, required = true): string | undefined {
  const i = flags.indexOf(name);
  if (i < 0 || !flags[i + 1]) {
    if (required) throw new Error(`${name} <value> is required.`);
    return undefined;
  }
  return flags[i + 1];
}

function options(flags: string[], name: string): string[] {
  return flags.flatMap((f, i) => (f === name && flags[i + 1] ? [flags[i + 1]!] : []));
}

function parseGrant(text: string): Grant {
  const [role, scope] = text.split('@');
  if (!Object.values(Role).includes(role as Role) || !scope || (scope !== '*' && !isEquipmentPath(scope))) {
    throw new Error(
      `--grant "${text}": write <role>@<scope>, role one of ${Object.values(Role).join(', ')}, scope a path prefix or *.`,
    );
  }
  return { role: role as Role, scope };
}

/** Backup and restore work on the embedded folder; PostgreSQL has its own tools. */
function embeddedOnly(command: string) {
  const config = configFromEnv();
  if (config.databaseUrl) {
    throw new Error(
      `${command}: DATABASE_URL is set; back up and restore PostgreSQL with its own tools (pg_dump, pg_restore).`,
    );
  }
  if (config.dataDir.startsWith('memory://')) {
    throw new Error(`${command}: PLANTGRAPH_DATA_DIR is ${config.dataDir}, which keeps nothing to ${command}.`);
  }
  return config;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
