import { isDeepStrictEqual } from 'node:util';
import type { FilterQuery } from '@mikro-orm/core';
import { type BrowsedNode, type StreamHealth, splitSecrets, validateSettings } from '@plantgraph/connector-sdk';
import {
  type ConfigureConnectorInput,
  ConnectorDelivery,
  ConnectorImport,
  ConnectorInstance,
  type DeliveryFilter,
  DeliveryState,
  Equipment,
  type ImportFilter,
  Permission,
  type ReplayRangeInput,
  WHOLE_INSTALLATION,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { EventSource } from '../../core/event-feed.js';
import type { JobCounts } from '../../infrastructure/queue/job-queue.js';
import { type DomainFailure, fail, invalidInput, isFailure, notFound, unknownReference } from '../../core/failures.js';
import { isEquipmentPath } from '../../core/keys.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import type { Principal } from '../../core/principal.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import { forbidden } from '../../core/visibility.js';
import { canAtScope, grantProblems, scopesVisible } from './connector-access.js';
import { type ConnectorChange, connectorChanged } from './connector-events.js';
import type { DeliveryEventSource } from './event-source.js';
import type { ConnectorRegistry } from './registry.js';
import type { SecretBox } from './secrets.js';

/** What the connector host does for the service: the parts that need a running connector. */
export interface ConnectorRuntimePort {
  /** Queues the delivery's job (after the commit that made it Pending). */
  enqueue(delivery: ConnectorDelivery): Promise<void>;
  /** A real round trip (testConnection); records the health. */
  test(name: string): Promise<void>;
  /** Queues a poll of every inbound job now. */
  pollNow(name: string): Promise<void>;
  /** Imports one external record now; records its outcome. */
  importOne(name: string, reference: string): Promise<void>;
  queueCounts(name: string): Promise<JobCounts | null>;
  /** The children of a node of the external system's address space (its root without one). */
  browse(name: string, nodeId: string | null): Promise<BrowsedNode[]>;
  /** The instance's open stream connections on this replica; null where they are not open. */
  streamHealth(name: string): StreamHealth[] | null;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** States a delivery can be replayed from: failed for good, or done (a replay then reconciles first). */
const REPLAYABLE = [DeliveryState.DeadLetter, DeliveryState.Delivered, DeliveryState.Skipped];

/** Connector instances: configuration (settings validated, secrets sealed), status, deliveries, replay. */
export class ConnectorService {
  runtime: ConnectorRuntimePort | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
    readonly registry: ConnectorRegistry,
    private readonly box: SecretBox,
    private readonly deliveryEvents: DeliveryEventSource,
  ) {}

  get(em: Tx, principal: Principal, name: string) {
    return em.findOne(ConnectorInstance, { $and: [{ name }, scopesVisible(principal)] });
  }

  list(em: Tx, principal: Principal, page: PageRequest) {
    return paginate(em, ConnectorInstance, scopesVisible(principal), page, 'name');
  }

  deliveries(em: Tx, principal: Principal, connector: string, filter: DeliveryFilter | null, page: PageRequest) {
    const where: FilterQuery<ConnectorDelivery>[] = [scopesVisible(principal), { connector }];
    if (filter?.state?.length) where.push({ state: { $in: filter.state } });
    if (filter?.eventType) where.push({ eventType: filter.eventType });
    if (filter?.eventKey) where.push({ eventKey: filter.eventKey });
    return paginate(em, ConnectorDelivery, { $and: where }, page, 'createdAt', 'desc');
  }

  delivery(em: Tx, principal: Principal, id: string) {
    return em.findOne(ConnectorDelivery, { $and: [{ id }, scopesVisible(principal)] });
  }

  imports(em: Tx, principal: Principal, connector: string, filter: ImportFilter | null, page: PageRequest) {
    const where: FilterQuery<ConnectorImport>[] = [scopesVisible(principal), { connector }];
    if (filter?.outcome?.length) where.push({ outcome: { $in: filter.outcome } });
    return paginate(em, ConnectorImport, { $and: where }, page, 'updatedAt', 'desc');
  }

  queueCounts(name: string) {
    return this.runtime?.queueCounts(name) ?? Promise.resolve(null);
  }

  streamHealth(name: string) {
    return this.runtime?.streamHealth(name) ?? null;
  }

  /** Lists nodes of the connector's external address space (OPC UA) for an engineer mapping tags. */
  async browse(principal: Principal, name: string, nodeId: string | null) {
    let nodes: BrowsedNode[] = [];
    const done = await this.withRuntime(principal, name, async (runtime) => {
      nodes = await runtime.browse(name, nodeId);
    });
    return isFailure(done) ? done : nodes;
  }

  /** Changes of connectors, their deliveries and imports at `scope` and below. */
  subscribeChanges(principal: Principal, scope: string, stream: StreamOptions = {}): AsyncIterable<ConnectorChange> {
    return scopedSubscription<ConnectorChange, ConnectorChange>(this.events, principal, scope, {
      patterns: (s) => this.events.subjects.connectorChangedScope(s),
      what: 'connectors',
      toValue: (event) => event,
      stream,
    });
  }

  /**
   * Creates an instance or changes its settings. Settings are checked against the connector's schema
   * and its own validation; secrets given are sealed with the stored ones (null clears one); grants
   * stay within the scope and the caller's own rights.
   */
  async configure(principal: Principal, input: ConfigureConnectorInput) {
    await this.box.ready();
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      if (!NAME.test(input.name))
        fail(invalidInput('name', 'must be 1-64 lower-case letters, digits or "-", starting with a letter or digit.'));
      const scope = input.scope;
      if (scope !== WHOLE_INSTALLATION && !isEquipmentPath(scope))
        fail(invalidInput('scope', `"${scope}" is not an equipment path or *.`));
      this.requireManage(principal, scope, () => unknownReference('scope', 'equipment', scope));
      if (scope !== WHOLE_INSTALLATION && !(await tx.count(Equipment, { path: scope })))
        fail(unknownReference('scope', 'equipment', scope));
      const definition =
        this.registry.get(input.type) ??
        fail(
          invalidInput(
            'type',
            `no connector type "${input.type}" in this hub (${
              this.registry
                .all()
                .map((d) => d.type)
                .join(', ') || 'none'
            }).`,
          ),
        );
      const existing = await tx.findOne(ConnectorInstance, { name: input.name });
      if (existing) {
        this.requireManage(principal, existing.scope, () => notFound('connector', input.name));
        if (existing.type !== input.type)
          fail(invalidInput('type', `connector ${input.name} is a ${existing.type}; its type cannot change.`));
      }
      const given = splitSecrets(definition.settings, input.settings ?? {});
      const storedSecrets = existing ? await this.box.open(existing.secrets) : {};
      const secrets = { ...storedSecrets };
      for (const [k, v] of Object.entries(given.secrets)) {
        if (v === null) delete secrets[k];
        else secrets[k] = v;
      }
      const checked = validateSettings(definition.settings, { ...given.plain, ...secrets });
      const issues = checked.ok ? (definition.validate?.(checked.settings) ?? []) : checked.issues;
      if (!checked.ok || issues.length)
        fail(invalidInput('settings', issues.map((i) => `${i.field}: ${i.message}`).join('; ')));
      const problems = grantProblems(principal, scope, input.grants);
      if (problems.length) fail(invalidInput('grants', problems.join('; ')));
      const stored = splitSecrets(definition.settings, checked.settings as Record<string, unknown>);
      const grants = input.grants.map((g) => ({ role: g.role, scope: g.scope }));
      // The same configuration again (a script or the demo applying it at each start) is no new version:
      // nothing is written, audited or announced.
      const unchanged =
        existing &&
        existing.scope === scope &&
        isDeepStrictEqual(existing.settings, stored.plain) &&
        isDeepStrictEqual(storedSecrets, stored.secrets) &&
        isDeepStrictEqual(existing.grants, grants) &&
        (input.enabled == null || input.enabled === existing.enabled);
      if (unchanged) return existing;
      const before = existing ? snapshot(existing) : null;
      const instance =
        existing ?? tx.create(ConnectorInstance, { name: input.name, type: input.type, scope, settings: {} });
      instance.scope = scope;
      instance.settings = stored.plain;
      instance.secretNames = Object.keys(stored.secrets).sort();
      instance.secrets = instance.secretNames.length ? await this.box.seal(stored.secrets) : null;
      instance.grants = grants;
      if (existing) instance.settingsVersion += 1;
      else instance.eventCursor = await this.deliveryEvents.head(tx);
      if (input.enabled != null) instance.enabled = input.enabled;
      connectorChanged(
        work,
        this.events.subjects,
        existing ? 'ConnectorReconfigured' : 'ConnectorConfigured',
        instance,
        before,
      );
      return instance;
    });
  }

  setEnabled(principal: Principal, name: string, enabled: boolean) {
    return this.uow.run(principal.name, async (work) => {
      const instance = await this.manageable(work.tx, principal, name);
      const before = snapshot(instance);
      if (instance.enabled === enabled) return instance;
      instance.enabled = enabled;
      connectorChanged(
        work,
        this.events.subjects,
        enabled ? 'ConnectorEnabled' : 'ConnectorDisabled',
        instance,
        before,
      );
      return instance;
    });
  }

  /** Runs `action` on the running connector once the caller may manage it; answers with the instance. */
  private async withRuntime(
    principal: Principal,
    name: string,
    action: (runtime: ConnectorRuntimePort, instance: ConnectorInstance) => Promise<void>,
  ) {
    const checked = await this.uow.run(principal.name, async ({ tx }) => {
      const instance = await this.manageable(tx, principal, name);
      if (!instance.enabled) fail(invalidInput('name', `connector ${name} is disabled; enable it first.`));
      return instance;
    });
    if (isFailure(checked)) return checked;
    if (!this.runtime) return invalidInput('name', 'this hub runs no connectors.');
    try {
      await action(this.runtime, checked);
    } catch (err) {
      // The external system's failure (unreachable, refused), for the engineer to act on; also in lastError.
      return invalidInput('name', `connector ${name}: ${(err as Error).message}`);
    }
    return this.uow.run(principal.name, ({ tx }) => this.manageable(tx, principal, name));
  }

  /** A real round trip to the external system now; the instance with its recorded health. */
  test(principal: Principal, name: string) {
    return this.withRuntime(principal, name, (runtime) => runtime.test(name));
  }

  poll(principal: Principal, name: string) {
    return this.withRuntime(principal, name, (runtime) => runtime.pollNow(name));
  }

  /** Imports one external record (e.g. an SAP order number) now; its outcome is in `imports`. */
  async importOne(principal: Principal, name: string, reference: string) {
    const done = await this.withRuntime(principal, name, (runtime) => runtime.importOne(name, reference));
    if (isFailure(done)) return done;
    return this.uow.run(principal.name, async ({ tx }) => {
      return (
        (await tx.findOne(ConnectorImport, { instance: done.id, reference })) ?? fail(notFound('import', reference))
      );
    });
  }

  /** Runs a delivery again with the same idempotency key (a delivered one reconciles before sending). */
  async replay(principal: Principal, id: string) {
    const result = await this.uow.run(principal.name, async (work) => {
      const delivery =
        (await work.tx.findOne(ConnectorDelivery, { $and: [{ id }, scopesVisible(principal)] })) ??
        fail(notFound('delivery', id));
      this.requireManage(principal, delivery.scope, () => notFound('delivery', id));
      if (!REPLAYABLE.includes(delivery.state))
        fail(invalidInput('id', `delivery ${id} is ${delivery.state}: it is queued already.`));
      this.markReplayed(work, delivery);
      return delivery;
    });
    if (!isFailure(result)) await this.runtime?.enqueue(result);
    return result;
  }

  /** Replays a connector's dead letters created between `from` and `to`. */
  async replayRange(principal: Principal, input: ReplayRangeInput) {
    const result = await this.uow.run(principal.name, async (work) => {
      const instance = await this.manageable(work.tx, principal, input.connector);
      const letters = await work.tx.find(
        ConnectorDelivery,
        { instance, state: DeliveryState.DeadLetter, createdAt: { $gte: input.from, $lte: input.to } },
        { orderBy: { eventSeq: 'asc' }, limit: 10_000 },
      );
      for (const delivery of letters) this.markReplayed(work, delivery);
      return letters;
    });
    if (!isFailure(result)) for (const d of result) await this.runtime?.enqueue(d);
    return result;
  }

  private markReplayed(work: Parameters<Parameters<UnitOfWork['run']>[1]>[0], delivery: ConnectorDelivery) {
    const before = snapshot(delivery);
    // A delivered one is in the external system already: the rerun must find it there, not post again.
    if (delivery.state !== DeliveryState.DeadLetter) delivery.lastFailureKind = 'ambiguous';
    delivery.state = DeliveryState.Pending;
    delivery.attempts = 0;
    delivery.replays += 1;
    connectorChanged(work, this.events.subjects, 'ConnectorDeliveryReplayed', delivery, before);
  }

  private async manageable(tx: Tx, principal: Principal, name: string): Promise<ConnectorInstance> {
    const instance = (await this.get(tx, principal, name)) ?? fail(notFound('connector', name));
    this.requireManage(principal, instance.scope, () => notFound('connector', name));
    return instance;
  }

  /** Out of sight fails like missing; in sight without ManageConnectors is refused. */
  private requireManage(principal: Principal, scope: string, hidden: () => DomainFailure) {
    if (!canAtScope(principal, Permission.Read, scope)) fail(hidden());
    if (!canAtScope(principal, Permission.ManageConnectors, scope))
      throw forbidden(principal, `ManageConnectors at ${scope}`);
  }
}
