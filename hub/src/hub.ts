import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { WebSocketServer } from 'ws';
import { completeLimits, type HubConfig } from './config.js';
import {
  migrate,
  openDatabase,
  postgresPoolCounts,
  seededFromBaseline,
  extensionBaselineOf,
  preparedReader,
  type Database,
} from './infrastructure/database/database.js';
import { InProcessBus } from './infrastructure/bus/in-process-bus.js';
import type { MessageBus } from './infrastructure/bus/message-bus.js';
import { NatsBus } from './infrastructure/bus/nats-bus.js';
import type { JobQueue } from './infrastructure/queue/job-queue.js';
import { openJobQueue } from './infrastructure/queue/open-job-queue.js';
import { Subjects } from './subjects.js';
import { createContext, type HubContext } from './graphql/context.js';
import { createGate, resolveAuthConfig } from './auth/bootstrap.js';
import type { Principal } from './core/principal.js';
import { presentMessage } from './graphql/hardening.js';
import { createHttpServer } from './graphql/http-server.js';
import { OperationChecker } from './graphql/operations.js';
import { serveGraphQLOverWebSocket } from './graphql/ws.js';
import { KeySockets } from './graphql/key-sockets.js';
import { send, serveGraphQL } from './graphql/http.js';
import { CompiledReads, observedReads } from './graphql/compiled/compiled-reads.js';
import { compiledFields } from './graphql/compiled/read-types.js';
import { buildHubSchema } from './graphql/schema.js';
import { operationExecutor } from './graphql/execute.js';
import { signalIntake } from './graphql/signal-intake.js';
import { createServices, type Services } from './services.js';
import { startSignalIngest } from './modules/signals/signal-ingest.js';
import { startAlertEscalation } from './modules/alert/alert.service.js';
import { startConditionCheck } from './modules/equipment/equipment-condition.js';
import { startOeeUpdates } from './modules/oee/oee-updates.js';
import { startFlowsRuntime, type FlowsRuntime } from './modules/flows/runtime.js';
import { ConnectorHost } from './modules/connector/connector-host.js';
import { runHook, type HubExtensionContext, type HubLog, type HubOptions } from './extensions.js';
import { BACKGROUND_AFTER_LISTEN_MS, firstAnswerOrTimeout, ReadinessProbe } from './readiness.js';
import { moveBaselineTimes } from './core/baseline-times.js';
import { HubMetrics, routeOf } from './observability/metrics.js';
import { serveMetrics } from './observability/metrics-endpoint.js';
import { inRequestScope } from './observability/logger.js';
import { HubTracing, tracedPublishes } from './observability/tracing.js';
import { type JobControlFace, openJobControlFace } from './opcua/job-control-face.js';
import { SpanKind } from '@opentelemetry/api';
import { operationMetrics, operationTracing } from './graphql/operation-metrics.js';
import { DEV_CONSOLE_CLIENT_ID, DEV_IDP_PATH, DevIdentityProvider } from './auth/dev-identity-provider.js';
import { GraphQLIde } from './graphql/ide.js';
import { CONNECTOR_ENDPOINT_PREFIX, serveConnectorEndpoint } from './graphql/connector-endpoints.js';
import { CONSOLE_PATH, type ConsoleSignIn, PlantConsole } from './graphql/console.js';
import type { LocalAdminKey } from './auth/local-admin-key.js';
import { DevIdentityProviderEndpoints } from './auth/dev-identity-provider-http.js';

export interface RunningHub {
  url: string;
  /** The local admin API key (development mode without an identity provider), kept across restarts. */
  localAdminToken: string | null;
  /** Where that key is kept and whether this start made it (see `auth/local-admin-key.ts`). */
  localAdminKey: LocalAdminKey | null;
  port: number;
  db: Database;
  bus: MessageBus;
  /** The connectors' job queue (Redis with `REDIS_URL`, else the hub's database); connects on first use. */
  jobs: JobQueue;
  services: Services;
  /** The development identity provider (ADR 0015), when on: where to sign in, and with which password. */
  devIdentityProvider: { issuer: string; tokenEndpoint: string; password: string } | null;
  /** The flows: Node-RED in a child process (editor at `/flows`), unless `PLANTGRAPH_FLOWS=off`. */
  flows: FlowsRuntime | null;
  /** The OPC UA ISA-95 Job Control face (`PLANTGRAPH_OPCUA_PORT`), when on. */
  jobControl: JobControlFace | null;
  /** Settles once the flows run or failed to start (see `flows.status`); the hub answers before. */
  flowsStarted: Promise<void>;
  /** The read compiler (its `answered` count tells which operations it answered). */
  reads: CompiledReads;
  /** Where the plant console is (`/console`), or null when it was not built. */
  consolePath: string | null;
  close(): Promise<void>;
}

/**
 * Starts one hub: database, bus, GraphQL over HTTP and WebSocket on one port, signal ingest, flows,
 * and the given extensions (e.g. the demo plant).
 */
export async function startHub(
  config: HubConfig,
  log: HubLog = console,
  { extensions = [], connectors = [], unpackingAhead = null }: HubOptions = {},
): Promise<RunningHub> {
  refuseDevIdentityProviderWhereNotAllowed(config);
  const tracing = config.tracing ? await HubTracing.open(config.tracing) : null;
  const subjects = new Subjects(config.natsNamespace);
  // NATS is reached while the database opens: a start does not wait for one and then the other, and
  // a wrong NATS_URL is reported at once, without waiting for the database.
  // A new embedded folder may start from an extension's data (the demo plant), times moved to now.
  const withBaseline = config.databaseUrl ? undefined : extensions.find((e) => e.embeddedBaseline?.());
  const opening = openDatabase(
    config,
    tracing ? (sql, ms, failed) => tracing.statement(sql, ms, failed) : undefined,
    withBaseline?.embeddedBaseline?.() ?? null,
    unpackingAhead,
  );
  let plainBus: MessageBus;
  try {
    plainBus = config.natsUrl
      ? await NatsBus.connect(config.natsUrl, subjects, undefined, config.natsStartTimeoutMs)
      : new InProcessBus(subjects, { confirmWhenAcked: true });
  } catch (err) {
    opening.then((db) => db.close()).catch(() => {});
    await tracing?.close();
    throw err;
  }
  const db = await opening.catch(async (err: unknown) => {
    await plainBus.close().catch(() => {});
    await tracing?.close();
    throw err;
  });
  const bus = tracing ? tracedPublishes(plainBus, tracing) : plainBus;
  // Tracing stops last: it flushes what the other steps' work produced.
  const cleanup: (() => Promise<unknown>)[] = [() => bus.close(), () => db.close(), async () => tracing?.close()];
  try {
    if (config.databaseUrl) {
      const pending = await db.migrator.getPending();
      if (pending.length)
        throw new Error(
          `The database has ${pending.length} pending migration(s) (${pending.map((m) => m.name).join(', ')}). Run \`plantgraph migrate\` first.`,
        );
    } else {
      const applied = await migrate(db, (line) => log.log(line));
      const moved = extensionBaselineOf(db);
      if (moved) {
        // Its data was written at the build: dates and times move as if it had been seeded just now.
        await moveBaselineTimes(db, Date.now() - moved.madeAt.getTime());
        log.log(`[db] new embedded database at ${config.dataDir}, made from the ${withBaseline!.name} baseline`);
      } else if (seededFromBaseline(db))
        log.log(`[db] new embedded database at ${config.dataDir}, made from the baseline`);
      if (applied.length)
        log.log(`[db] embedded database at ${config.dataDir}: applied ${applied.length} migration(s)`);
    }

    // Installations sharing a Redis keep apart as they do on NATS: by their namespace.
    const redisPrefix = config.natsNamespace === 'pg' ? 'plantgraph' : `plantgraph.${config.natsNamespace}`;
    // BullMQ loads once the API has answered (`apiAnswered`), or at first use after that: /readyz does
    // not need it, and loading it (and its first work on the embedded database, on this thread) held
    // up the first answers by more than it took itself.
    let listening: () => void = () => {};
    const apiAnswered = new Promise<void>((resolve) => {
      listening = resolve;
    }).then(() => firstAnswerOrTimeout(server, BACKGROUND_AFTER_LISTEN_MS));
    const jobs = openJobQueue(config, db, {
      loadAfter: apiAnswered,
      warn: (m) => log.warn(m),
      redisPrefix,
      lockDurationMs: config.connectors.jobLockMs,
    });
    cleanup.unshift(() => jobs.close());
    const services = createServices(
      db,
      bus,
      await resolveAuthConfig(config.auth),
      config.alertEscalateAfterSeconds,
      log,
      config.eventRetentionHours,
      { definitions: connectors, secret: config.connectors.secret },
      config.flows,
    );
    // Events: this replica's relay of the outbox to the bus, and its ordered feed for subscribers (ADR 0010).
    services.relay.start();
    cleanup.unshift(() => services.relay.stop());
    await services.feed.start();
    cleanup.unshift(() => services.feed.stop());
    const gate = await createGate(config, services, log);
    const devIdp = await openDevIdentityProvider(config, db);
    const devIdpEndpoints = devIdp ? new DevIdentityProviderEndpoints(devIdp, config.trustedProxies) : null;
    const schema = await buildHubSchema(bus);
    const ide = openIde(config, devIdp !== null, log);
    const plantConsole = openConsole(config, devIdp !== null, log);
    const contextFor = (principal: Principal): HubContext => createContext(db, services, principal);

    // Limits on connections and operations, the same for HTTP and WebSocket (graphql/http-server.ts, operations.ts).
    // Read at each scrape; flows and connectors are started further down, before the port opens.
    const poolCounts = config.databaseUrl ? await postgresPoolCounts(db) : () => null;
    const metrics = new HubMetrics({
      ingest: services.signals.statistics,
      signalBacklog: () => bus.signalBacklog(),
      sockets: () => wss.clients.size,
      flows: config.flows.enabled
        ? {
            leader: () => !!flows?.leader,
            running: () => !!flows?.process.pid,
            starts: () => flows?.process.starts ?? 0,
          }
        : null,
      connectorJobs: () => connectorHost.jobCounts(),
      connectorDeliveries: () => services.connectorLedger.deliveryCounts(),
      databasePool: poolCounts,
    });
    const limits = completeLimits(config.limits);
    const checker = new OperationChecker(schema, limits, config.production, (name, codes) =>
      metrics.observeRefusal(name, codes),
    );
    const server = createHttpServer(limits, config.trustedProxies);
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1_000_000 });
    const keySockets = new KeySockets();
    const revocations = keySockets.follow(services.feed, (prefix) => services.authenticator.forgetKey(prefix));
    cleanup.unshift(async () => revocations.stop());
    const subscriptions = serveGraphQLOverWebSocket(wss, schema, gate, checker, limits, contextFor, keySockets);
    const apollo = new ApolloServer<HubContext>({
      schema,
      introspection: !config.production,
      includeStacktraceInErrorResponses: !config.production,
      validationRules: checker.rules,
      parseOptions: { maxTokens: config.limits.maxTokens },
      formatError: (formatted) => ({ ...formatted, message: presentMessage(formatted.message, config.production) }),
      plugins: [
        operationMetrics(metrics),
        ...(tracing ? [operationTracing<HubContext>(tracing)] : []),
        ApolloServerPluginDrainHttpServer({ httpServer: server }),
        // Apollo's default cache-control plugin wraps every field's resolver; the hub sets no cache hints.
        ApolloServerPluginCacheControlDisabled(),
        // Apollo's landing pages load from its CDN; browsers get the hub's own IDE instead (graphql/ide.ts).
        ApolloServerPluginLandingPageDisabled(),
        {
          serverWillStart: async () => ({
            drainServer: async () => {
              await subscriptions.dispose();
            },
          }),
        },
      ],
    });
    await apollo.start();
    cleanup.unshift(() => apollo.stop());
    // Read-only operations the compiler covers are answered by one statement, without Apollo (ADR 0031).
    const compiledReads = new CompiledReads(
      schema,
      compiledFields(db.em.getMetadata()),
      await preparedReader(db, !config.databaseUrl),
    );
    const fastReads = observedReads(compiledReads, {
      answered: (name, seconds) => metrics.observeOperation(name, 'query', seconds, []),
      named: tracing
        ? (name) =>
            tracing
              .currentSpan()
              ?.updateName(`query ${name ?? 'anonymous'}`)
              .setAttributes({ 'graphql.operation.type': 'query', 'graphql.operation.name': name ?? '' })
        : undefined,
      failed: (err) =>
        log.error(`[graphql] a compiled read failed, the resolvers answer it: ${err.stack ?? err.message}`),
    });

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      inRequestScope(req, res, () =>
        traced(req, res).catch((err: Error) => {
          log.error(`[http] ${req.method} ${req.url} failed: ${err.stack ?? err.message}`);
          if (!res.headersSent) send(res, 500, { errors: [{ message: 'Internal error; see the hub log.' }] });
          else res.destroy();
        }),
      );
    });
    // With tracing, each request is a server span; its database statements and publishes are children.
    const traced = (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      if (!tracing) return route(req, res);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const attributes = { 'http.request.method': req.method ?? 'GET', 'url.path': path };
      return tracing.inSpan(`${req.method} ${routeOf(path)}`, SpanKind.SERVER, attributes, async (span) => {
        await route(req, res);
        span.setAttribute('http.response.status_code', res.statusCode);
      });
    };
    const route = async (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      metrics.observeRequest(req, res, path);
      // A browser opening /graphql gets the IDE, without a token: the operations it sends need one.
      if (path === '/graphql' && ide?.wants(req)) return ide.servePage(res);
      if (path === '/graphql') return serveGraphQL(apollo, gate, checker, req, res, contextFor, fastReads);
      if (ide?.handles(path)) return ide.serveAsset(req, path, res);
      if (plantConsole?.handles(path)) return plantConsole.serve(req, path, res);
      if (path === '/metrics') return serveMetrics(metrics, config.metricsToken, req, res);
      if (path.startsWith(CONNECTOR_ENDPOINT_PREFIX))
        return serveConnectorEndpoint(gate, connectorHost, req, res, path);
      if (devIdpEndpoints?.handles(path)) return devIdpEndpoints.serve(req, res);
      if (flows?.handleRequest(req, res)) return;
      if (path === '/healthz') return send(res, 200, { status: 'ok' });
      if (path === '/readyz')
        return send(
          res,
          readiness.state.ready ? 200 : 503,
          flows ? { ...readiness.state, flows: flows.status } : readiness.state,
        );
      if (path === '/')
        return send(res, 200, {
          name: 'PlantGraph hub',
          graphql: '/graphql',
          ...(plantConsole ? { console: CONSOLE_PATH } : {}),
          health: '/healthz',
          readiness: '/readyz',
          metrics: '/metrics',
          ...(flows ? { flowEditor: '/flows/', flowEndpoints: '/flows-http/' } : {}),
          ...(devIdp ? { developmentSignIn: '/dev-idp/login' } : {}),
        });
      send(res, 404, { error: `Nothing at ${path}. The GraphQL API is at /graphql.` });
    };
    // Upgrades are routed by path so later WebSocket endpoints (the flow editor) can share the port.
    server.on('upgrade', (req, socket, head) => {
      if ((req.url ?? '').split('?')[0] === '/graphql')
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      else if (!flows?.handleUpgrade(req, socket, head)) socket.destroy();
    });

    const extensionContext: HubExtensionContext = {
      config,
      db,
      bus,
      services,
      log,
      onClose: (step) => {
        cleanup.unshift(step);
      },
      baselineFrom: extensionBaselineOf(db) ? withBaseline!.name : null,
    };
    await runHook(extensions, 'beforeFlows', extensionContext);

    let flows: FlowsRuntime | null = null;
    if (config.flows.enabled) {
      // Node-RED starts in its own process once the hub listens (it reaches the hub through its port).
      flows = await startFlowsRuntime({ config, db, bus, services, gate, log });
      cleanup.unshift(() => flows!.close());
    }

    const oeeUpdates = startOeeUpdates(db, bus, config.oeeUpdateIntervalMs);
    cleanup.unshift(() => oeeUpdates.stop());
    const ingest = startSignalIngest(db, bus, services.relay, services.signals.statistics, log, oeeUpdates.touch);
    cleanup.unshift(() => ingest.stop());
    const escalation = startAlertEscalation(services.alerts, config.alertEscalationCheckMs);
    cleanup.unshift(() => escalation.stop());
    const conditionCheck = startConditionCheck(services.equipmentCondition, config.equipmentConditionCheckMs);
    cleanup.unshift(() => conditionCheck.stop());

    // Connectors' and the Job Control face's GraphQL takes the same validation, cost and rate limits as any client's.
    const execute = operationExecutor(schema, contextFor, checker, gate);
    const connectorHost = new ConnectorHost({
      config,
      db,
      bus,
      jobs,
      service: services.connectors,
      ledger: services.connectorLedger,
      box: services.connectorSecrets,
      source: services.hubEvents,
      execute,
      intake: signalIntake(db, services.signals, gate),
      log,
    });
    await connectorHost.start();
    cleanup.unshift(() => connectorHost.close());

    await runHook(extensions, 'afterServices', extensionContext);
    // After the extensions: the demo plant's work centers exist by then.
    const jobControl = await openJobControlFace(config, { execute, services, gate, db, log });
    if (jobControl) cleanup.unshift(() => jobControl.close());

    // Answered from the probe's last round, so /readyz is quick even while a dependency hangs.
    const readiness = new ReadinessProbe({
      database: { name: config.databaseUrl ? 'PostgreSQL' : 'PGlite', check: () => db.em.fork().execute('select 1') },
      bus: { name: bus.kind === 'nats' ? 'NATS' : 'in-process bus', check: () => bus.checkReady() },
    });
    await readiness.start();
    cleanup.unshift(() => readiness.stop());

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    const port = (server.address() as AddressInfo).port;
    listening();
    cleanup.unshift(
      () =>
        new Promise((r) => {
          server.close(r);
          server.closeAllConnections();
          for (const socket of wss.clients) socket.terminate(); // upgraded sockets are not the server's any more
        }),
    );
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${host}:${port}`;
    // Its tokens are verified as any provider's: by the issuer's JWKS, fetched over HTTP from this hub.
    if (devIdp) services.authenticator.trust(devIdp.publishAt(url));
    let flowsStarted: Promise<void> = Promise.resolve();
    if (flows) {
      // Node-RED starts once the API answers and does not hold it up: on two cores its loading took
      // seconds from the hub's start. Its progress is in /readyz's body, not its status.
      flowsStarted = flows
        .start(`http://${loopbackHost(config.host)}:${port}`)
        .catch((err: Error) => log.error(`[flows] the flows did not start: ${err.stack ?? err.message}`));
      // Before the server closes: the flows stop while they can still reach the hub.
      cleanup.unshift(() => flows!.close());
    }
    return {
      url,
      devIdentityProvider: devIdp
        ? { issuer: devIdp.issuer!, tokenEndpoint: `${devIdp.issuer}/token`, password: devIdp.password }
        : null,
      port,
      db,
      bus,
      jobs,
      services,
      localAdminToken: gate.localAdminKey?.secret ?? null,
      localAdminKey: gate.localAdminKey,
      flows,
      jobControl,
      flowsStarted,
      reads: compiledReads,
      consolePath: plantConsole ? CONSOLE_PATH : null,
      close: () => runAll(cleanup),
    };
  } catch (err) {
    await runAll(cleanup);
    throw err;
  }
}

/** Where a process on this machine reaches the hub listening on `host`. */
function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === 'localhost') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function runAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  for (const step of steps.splice(0))
    await step().catch((err: Error) => console.error(`[hub] shutdown step failed: ${err.message}`));
}

/** Never in production and never next to a real identity provider, whatever configuration the caller built. */
function refuseDevIdentityProviderWhereNotAllowed(config: HubConfig): void {
  if (config.auth.devIdentityProvider && (config.production || config.auth.oidc))
    throw new Error(
      'The development identity provider cannot run in production or next to a configured identity provider; set PLANTGRAPH_DEV_IDP=off.',
    );
}

/** The GraphQL IDE outside production (it needs introspection, which production turns off). */
function openIde(config: HubConfig, devSignIn: boolean, log: HubLog): GraphQLIde | null {
  if (config.production) return null;
  const sign = devSignIn ? { tokenEndpoint: `${DEV_IDP_PATH}/token` } : null;
  const ide = GraphQLIde.load(sign);
  if (!ide) log.warn('[hub] the GraphQL IDE is not built (hub/dist/ide); run `npm run build` to get it at /graphql');
  return ide;
}

/** The plant console (ADR 0044), in production too: it needs nothing but the public API. */
function openConsole(config: HubConfig, devSignIn: boolean, log: HubLog): PlantConsole | null {
  const plantConsole = PlantConsole.load(consoleSignIn(config, devSignIn));
  if (!plantConsole) log.warn('[hub] the plant console is not built (hub/dist/console); run `npm run build` to get it');
  else if (config.auth.oidc && !config.auth.oidc.consoleClientId)
    log.warn(`[hub] ${NO_CONSOLE_CLIENT}; until then the console takes pasted tokens and API keys only`);
  return plantConsole;
}

const NO_CONSOLE_CLIENT =
  'the plant console cannot sign people in: register it at your identity provider as a public client ' +
  '(authorization code with PKCE, redirect URI <hub URL>/console) and set PLANTGRAPH_OIDC_CONSOLE_CLIENT_ID';

/** Where the console signs people in: the configured provider, or the development one on the hub. */
function consoleSignIn(config: HubConfig, devSignIn: boolean): ConsoleSignIn {
  const oidc = config.auth.oidc;
  const scopes = oidc?.consoleScopes ?? 'openid profile';
  if (oidc?.consoleClientId) return { issuer: oidc.issuer, clientId: oidc.consoleClientId, scopes };
  if (oidc) return { error: `The console has no client at the hub's identity provider: ${NO_CONSOLE_CLIENT}.` };
  return devSignIn ? { issuer: DEV_IDP_PATH, clientId: DEV_CONSOLE_CLIENT_ID, scopes } : null;
}

/** The development identity provider when the configuration asks for it (ADR 0015). */
async function openDevIdentityProvider(config: HubConfig, db: Database): Promise<DevIdentityProvider | null> {
  const settings = config.auth.devIdentityProvider;
  return settings && config.auth.enabled ? DevIdentityProvider.open(db, settings.password) : null;
}
