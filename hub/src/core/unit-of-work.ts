import { type EntityMetadata, helper, ReferenceKind, Type, wrap } from '@mikro-orm/core';
import { type DomainFailure, FailureError } from './failures.js';
import { WHOLE_INSTALLATION } from '@plantgraph/schema';
import { appendToAuditChain, type AuditEntry } from './audit-chain.js';
import { auditScope, withoutSecrets } from './audit-scope.js';
import type { Database, Tx } from '../infrastructure/database/database.js';
import type { Subjects } from '../subjects.js';
import { type DomainEvent, recordEvents, type SequencedEvent } from './event-outbox.js';

/**
 * Told after each commit that wrote events, so they are relayed at once (`event-relay.ts`); with the
 * committed events when the writer has them numbered (`collectEvents`), so they are not read back.
 */
export interface EventsCommitted {
  wake(events?: readonly SequencedEvent[]): void;
}

/** What a service gets inside a unit of work. */
export interface Work {
  tx: Tx;
  actor: string;
  /**
   * Records a change of a stored object in the audit trail, in this transaction; `after` is the
   * object's snapshot after it when the caller has it (`storedFields`), else it is taken here.
   */
  audit(
    action: string,
    entity: object & { id: string },
    before?: unknown,
    reason?: string | null,
    after?: unknown,
  ): void;
  /** Records an event in this transaction's outbox; announced once it commits, never if it rolls back. */
  emit(event: DomainEvent): void;
  /** Audits a change and announces it as event `type` (past tense) keyed by the object's business key. */
  changed(type: string, entity: object & { id: string }, key: string, before?: unknown, reason?: string | null): void;
}

/**
 * Runs one command: a transaction with its audit records and its events (in the outbox, relayed after the commit).
 * A `fail(...)` anywhere rolls everything back and returns the failure as the result.
 */
export class UnitOfWork {
  constructor(
    private readonly db: Database,
    private readonly subjects: Subjects,
    private readonly committed: EventsCommitted = { wake: () => {} },
  ) {}

  async run<T>(actor: string, body: (work: Work) => Promise<T>): Promise<T | DomainFailure> {
    const events: DomainEvent[] = [];
    let result: T;
    try {
      result = await this.db.em.fork().transactional(async (tx) => {
        const audit: (AuditEntry & { entity: object })[] = [];
        // Where each audited record lies: who may read its audit records and its events.
        const scopes = new Map<object, string | null>();
        const work: Work = {
          tx,
          actor,
          audit: (action, entity, before, reason, after) => {
            audit.push({
              action,
              entity,
              entityType: entity.constructor.name,
              entityId: entity.id,
              before: withoutSecrets(before ?? null),
              after: withoutSecrets(after ?? snapshot(entity)),
              reason,
            });
          },
          emit: (event) => events.push(event),
          changed: (type, entity, key, before, reason) => {
            work.audit(type, entity, before, reason);
            work.emit({
              subject: this.subjects.domainEvent(type, key),
              type,
              data: () => ({ id: entity.id, key, actor, ...eventScope(scopes.get(entity)) }),
            });
          },
        };
        const value = await body(work);
        for (const entry of audit) {
          if (!scopes.has(entry.entity)) scopes.set(entry.entity, await auditScope(tx, entry.entity));
          entry.scope = scopes.get(entry.entity)!;
        }
        await appendToAuditChain(
          tx,
          actor,
          audit.map(({ entity: _, ...entry }) => entry),
        );
        if (events.length) {
          await tx.flush(); // the events' data may hold ids assigned by the flush
          await recordEvents(tx, events);
        }
        return value;
      });
    } catch (err) {
      if (err instanceof FailureError) return err.failure;
      throw err;
    }
    if (events.length) this.committed.wake();
    return result;
  }
}

/**
 * What an event says about where its record lies, for subscribers' visibility: the equipment path,
 * `scope: "*"` for the installation's records; nothing for shared master data.
 */
function eventScope(scope: string | null | undefined): Record<string, string> {
  if (scope === WHOLE_INSTALLATION) return { scope };
  return scope ? { path: scope } : {};
}

/** The stored fields of an entity (relations as ids), for audit records. */
export function snapshot(entity: object): unknown {
  return newEntitySnapshot(entity) ?? JSON.parse(JSON.stringify(wrap(entity).toObject()));
}

/**
 * What `toObject` gives for a new entity the ORM does not manage (imported Drafts, written with
 * `insertEntities`), without the ORM's serialization machinery, which was most of a batch import's
 * audit cost: its defined fields, relations as ids, dates as ISO text. Undefined, and so the ORM's
 * way, for a managed entity and for anything `toObject` treats otherwise: a relation to a new or
 * populated entity (serialized whole), collections, custom serializers, hidden or computed properties.
 */
function newEntitySnapshot(entity: object): Record<string, unknown> | undefined {
  return plainSnapshot(entity, false);
}

/**
 * The stored fields of an entity with every relation as its id, managed or not, populated or not;
 * what `snapshot` gives a plain entity, without the ORM's serialization (a batch of managed orders
 * spent most of its audit time there). Falls back to `snapshot` for entities `plainMeta` refuses.
 */
export function storedFields(entity: object): unknown {
  return plainSnapshot(entity, true) ?? snapshot(entity);
}

function plainSnapshot(entity: object, managed: boolean): Record<string, unknown> | undefined {
  const wrapped = helper(entity);
  if (!wrapped || (wrapped.__managed && !managed) || !plainMeta(wrapped.__meta)) return undefined;
  const out: Record<string, unknown> = {};
  const record = entity as Record<string, unknown>;
  for (const prop of wrapped.__meta.props) {
    const value = record[prop.name];
    if (value === undefined) continue;
    if (prop.kind === ReferenceKind.SCALAR) {
      out[prop.name] = value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
      continue;
    }
    if (value === null) {
      out[prop.name] = null;
      continue;
    }
    const related = helper(value as object);
    if (!related?.__managed || (related.__populated && !managed)) return undefined;
    out[prop.name] = related.getPrimaryKey();
  }
  return out;
}

const plainMetas = new WeakMap<EntityMetadata, boolean>();

function plainMeta(meta: EntityMetadata): boolean {
  let plain = plainMetas.get(meta);
  if (plain === undefined) {
    plain =
      !meta.getterProps.length &&
      meta.primaryKeys.length === 1 &&
      meta.props.every(
        (p) =>
          (p.kind === ReferenceKind.SCALAR || p.kind === ReferenceKind.MANY_TO_ONE) &&
          !p.hidden &&
          !p.serializer &&
          !p.serializedName &&
          !p.getter &&
          !p.name.startsWith('_') &&
          (!p.customType || p.customType.toJSON === Type.prototype.toJSON),
      );
    plainMetas.set(meta, plain);
  }
  return plain;
}
