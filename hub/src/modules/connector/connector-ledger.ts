import { createHash, randomUUID } from 'node:crypto';
import type { HubEvent, ImportOutcome } from '@plantgraph/connector-sdk';
import {
  ConnectorDelivery,
  ConnectorHealth,
  ConnectorImport,
  ConnectorInstance,
  DeliveryState,
  ImportOutcomeKind,
} from '@plantgraph/schema';
import type { Database } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import { isFailure } from '../../core/failures.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import { insertEntities } from '../../infrastructure/database/insert-entities.js';
import { connectorChanged } from './connector-events.js';

/** Stable across retries, replays and replicas: the instance (never renamed) and the hub event. */
export function idempotencyKey(instanceId: string, eventId: string): string {
  return `pg-${createHash('sha256').update(`${instanceId}\n${eventId}`).digest('hex').slice(0, 40)}`;
}

const system = (name: string) => `connector:${name}`;

/**
 * What the connector host writes: deliveries made from events (with the relay's cursor, in one
 * transaction), their attempts and outcomes, import outcomes with the inbound cursor, and health.
 * State changes people act on (delivered, dead letter, import outcome, health) are audited and
 * announced; per-attempt bookkeeping is not.
 */
export class ConnectorLedger {
  constructor(
    private readonly db: Database,
    private readonly uow: UnitOfWork,
    private readonly subjects: Subjects,
  ) {}

  /**
   * Ledger rows for `events` and the new relay cursor, in one transaction; the ids of the new rows, in event
   * order. One multi-row insert for the whole read: a backlog of events is as many rows, not round trips.
   */
  async relay(instance: ConnectorInstance, events: HubEvent[], cursor: string): Promise<string[]> {
    return this.db.em.fork().transactional(async (tx) => {
      const rows = events.map((e) => ({
        id: randomUUID(),
        idempotency_key: idempotencyKey(instance.id, e.id),
        event_id: e.id,
        event_seq: e.seq,
        event_type: e.type,
        event_key: e.key,
        event_path: e.path,
        event_record: e.record ?? null,
        event_at: e.at,
      }));
      const created = rows.length
        ? await tx.execute<{ id: string; event_seq: string }[]>(
            `insert into connector_delivery (id, created_at, updated_at, instance_id, connector, scope, idempotency_key,
               event_id, event_seq, event_type, event_key, event_path, event_record, event_at)
             select r.id, now(), now(), ?, ?, ?, r.idempotency_key, r.event_id, r.event_seq, r.event_type, r.event_key,
                    r.event_path, r.event_record, r.event_at
               from jsonb_to_recordset(?::jsonb) as r(id uuid, idempotency_key text, event_id text, event_seq bigint,
                    event_type text, event_key text, event_path text, event_record text, event_at timestamptz)
             on conflict (idempotency_key) do nothing returning id, event_seq::text as event_seq`,
            [instance.id, instance.name, instance.scope, JSON.stringify(rows)],
          )
        : [];
      // Only forward: a replica that lost the lease mid-relay must not move another's cursor back.
      await tx.execute(`update connector_instance set event_cursor = greatest(event_cursor, ?) where id = ?`, [
        cursor,
        instance.id,
      ]);
      return created.sort((a, b) => Number(a.event_seq) - Number(b.event_seq)).map((r) => r.id);
    });
  }

  /** Deliveries that should have a job (Pending, or Delivering with a crashed worker), oldest first. */
  async unfinished(instanceId: string, olderThanMs: number, limit = 500): Promise<ConnectorDelivery[]> {
    return this.db.em.fork().find(
      ConnectorDelivery,
      {
        instance: instanceId,
        state: { $in: [DeliveryState.Pending, DeliveryState.Delivering] },
        updatedAt: { $lt: new Date(Date.now() - olderThanMs) },
      },
      { orderBy: { eventSeq: 'asc' }, limit },
    );
  }

  /**
   * Marks an attempt started. Null when there is nothing to do (delivered, skipped, dead letter: a
   * stale job). A delivery found Delivering was cut off mid-attempt: its next attempt must reconcile.
   * One statement (the row locked, read and updated), as this runs once per delivery.
   */
  async startAttempt(id: string, attempt: number) {
    const em = this.db.em.fork();
    const [row] = await em.execute<Record<string, unknown>[]>(
      `with old as (select id, state, last_failure_kind, updated_at from connector_delivery where id = ? for update)
       update connector_delivery d
          set state = ?, attempts = ?, updated_at = now(),
              last_failure_kind = case when old.state = ? then 'ambiguous' else old.last_failure_kind end
         from old
        where d.id = old.id and old.state in (?, ?)
        returning d.*, old.updated_at as previous_update, old.state as previous_state`,
      [
        id,
        DeliveryState.Delivering,
        attempt,
        DeliveryState.Delivering,
        DeliveryState.Pending,
        DeliveryState.Delivering,
      ],
    );
    if (!row) return null;
    const { previous_update: previousUpdate, previous_state: previousState, ...columns } = row;
    const delivery = em.map(ConnectorDelivery, columns);
    return {
      delivery,
      /** When the previous attempt failed (or, cut off mid-attempt, started): what an unknown outcome waits from. */
      previousAttemptAt: new Date(previousUpdate as string | Date),
      /** The previous attempt was cut off (the worker died) rather than recorded as failed. */
      cutOff: previousState === DeliveryState.Delivering,
      lastFailure: (delivery.lastFailureKind ?? null) as
        | 'retryable'
        | 'rate-limited'
        | 'permanent'
        | 'ambiguous'
        | null,
    };
  }

  /** A failed attempt that will be tried again: back to Pending, remembering how it failed. */
  async attemptFailed(delivery: ConnectorDelivery, kind: string, message: string): Promise<void> {
    const em = this.db.em.fork();
    await em.nativeUpdate(
      ConnectorDelivery,
      { id: delivery.id, state: DeliveryState.Delivering },
      { state: DeliveryState.Pending, lastFailureKind: kind, lastError: message, updatedAt: new Date() },
    );
    await em.nativeUpdate(
      ConnectorInstance,
      { id: delivery.instance.id },
      { lastError: message, lastErrorAt: new Date() },
    );
  }

  /**
   * `note` (after an unknown outcome: how it was resolved) stays as the delivered row's `lastError`, so the
   * ledger shows that an attempt's outcome was unknown and what the read-back by key found.
   */
  async delivered(
    id: string,
    result: { externalReference: string | null; reconciled: boolean; skipped?: string },
    note?: string,
  ) {
    await this.uow.run(system('relay'), async (work) => {
      const delivery = await work.tx.findOneOrFail(ConnectorDelivery, id, { populate: ['instance'] });
      const before = snapshot(delivery);
      delivery.state = result.skipped ? DeliveryState.Skipped : DeliveryState.Delivered;
      delivery.externalReference = result.externalReference;
      delivery.reconciled = result.reconciled;
      delivery.lastError = result.skipped ?? note ?? null;
      delivery.deliveredAt = new Date();
      // At most once a second: every delivery writing the instance's row made them queue for its lock.
      const now = Date.now();
      const last = delivery.instance.lastSuccessAt?.getTime() ?? 0;
      const recent = last <= now && now - last < 1000;
      if (!result.skipped && !recent) delivery.instance.lastSuccessAt = new Date(now);
      const type = result.skipped ? 'ConnectorDeliverySkipped' : 'ConnectorDeliveryDelivered';
      connectorChanged(work, this.subjects, type, delivery, before);
    });
  }

  async deadLettered(id: string, message: string, kind: string | null): Promise<void> {
    await this.uow.run(system('relay'), async (work) => {
      const delivery = await work.tx.findOneOrFail(ConnectorDelivery, id, { populate: ['instance'] });
      if (delivery.state === DeliveryState.Delivered) return;
      const before = snapshot(delivery);
      delivery.state = DeliveryState.DeadLetter;
      delivery.lastError = message;
      if (kind) delivery.lastFailureKind = kind;
      delivery.instance.lastError = message;
      delivery.instance.lastErrorAt = new Date();
      connectorChanged(work, this.subjects, 'ConnectorDeliveryDeadLettered', delivery, before, message);
    });
  }

  /** Import outcomes (the latest per external record) and, after a poll, the cursor to resume from. */
  async recordImports(name: string, outcomes: ImportOutcome[], cursor?: string | null): Promise<void> {
    const result = await this.uow.run(system(name), async (work) => {
      const { tx } = work;
      const instance = await tx.findOneOrFail(ConnectorInstance, { name });
      // One read for the page's earlier outcomes, not one per record.
      const earlier = outcomes.length
        ? await tx.find(ConnectorImport, { instance, reference: { $in: outcomes.map((o) => o.reference) } })
        : [];
      const byReference = new Map(earlier.map((i) => [i.reference, i]));
      // First outcomes go in one multi-row insert rather than through the unit of work's change sets.
      const created = new Set<ConnectorImport>();
      for (const o of outcomes) {
        const existing = byReference.get(o.reference);
        const reasons = o.reasons.map((r) => ({
          code: r.code,
          field: r.field,
          value: r.value ?? null,
          message: r.message,
        }));
        const outcome = o.outcome as ImportOutcomeKind;
        if (existing && existing.outcome === outcome && JSON.stringify(existing.reasons) === JSON.stringify(reasons))
          continue;
        const before = existing ? snapshot(existing) : null;
        const record =
          existing ??
          Object.assign(new ConnectorImport(), {
            instance,
            connector: name,
            scope: instance.scope,
            reference: o.reference,
            outcome,
          });
        if (!existing) created.add(record);
        record.outcome = outcome;
        record.hubReference = o.hubReference ?? null;
        record.reasons = reasons;
        byReference.set(o.reference, record);
        connectorChanged(work, this.subjects, `ConnectorImport${outcome}`, record, before);
      }
      await insertEntities(tx, ConnectorImport, [...created]);
      if (cursor !== undefined) instance.inboundCursor = cursor;
      instance.lastSuccessAt = new Date();
    });
    if (isFailure(result)) throw new Error(result.message);
  }

  /** Deliveries by connector and state, for the metrics (one grouped count over the ledger's index). */
  async deliveryCounts(): Promise<{ connector: string; state: string; count: number }[]> {
    const rows = await this.db.em
      .fork()
      .getConnection()
      .execute<{ connector: string; state: string; n: number }[]>(
        `select i.name as connector, d.state, count(*)::int as n
       from connector_delivery d join connector_instance i on i.id = d.instance_id group by i.name, d.state`,
      );
    return rows.map((r) => ({ connector: r.connector, state: r.state, count: Number(r.n) }));
  }

  async recordError(name: string, message: string): Promise<void> {
    await this.db.em.fork().nativeUpdate(ConnectorInstance, { name }, { lastError: message, lastErrorAt: new Date() });
  }

  /** The outcome of a real round trip; a change of health is audited and announced. */
  async recordHealth(name: string, check: { ok: boolean; message: string | null; roundTripMs: number | null }) {
    await this.uow.run(system(name), async (work) => {
      const instance = await work.tx.findOneOrFail(ConnectorInstance, { name });
      const health = check.ok ? ConnectorHealth.Healthy : ConnectorHealth.Unhealthy;
      const before = snapshot(instance);
      const changed = instance.health !== health;
      instance.health = health;
      instance.healthCheckedAt = new Date();
      instance.healthMessage = check.message;
      instance.roundTripMs = check.roundTripMs;
      if (!check.ok) {
        instance.lastError = check.message;
        instance.lastErrorAt = new Date();
      }
      if (changed) connectorChanged(work, this.subjects, `Connector${health}`, instance, before, check.message);
    });
  }
}
