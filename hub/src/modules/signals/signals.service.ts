import { Equipment, Permission } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { EventSource } from '../../core/event-feed.js';
import { feedOptions, type StreamOptions } from '../../core/scoped-subscription.js';
import type { UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { forbidden } from '../../core/visibility.js';
import { isEquipmentPath } from '../../core/keys.js';
import { newIngestStatistics } from './signal-ingest.js';
import { admitSignals } from './signal-admission.js';
import type { EquipmentSignalInput } from './signals.types.js';
import { type DomainFailure, invalidInput, isFailure, notFound } from '../../core/failures.js';
import { badUserInput } from '../../core/faults.js';
import { type HubEventLogPage, readEventLog, visibleEvent } from './event-log.js';

const MAX_SIGNALS_PER_CALL = 1000;
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,63}$/;

/** Any hub event as flows and `hubEvents` subscribers get it. */
export interface HubEventValue {
  subject: string;
  type: string;
  path: string | null;
  data: Record<string, unknown>;
  /** Where a subscriber resumes after this event; null for live-only figures (e.g. OEE updates). */
  cursor: string | null;
}

/**
 * Signals from clients that are not on NATS (both flow connections, a gateway behind HTTP), the
 * generic event feed for flows, and the ingest counters. Signals take the same durable path as
 * equipment's own: they are checked here so the caller hears what is wrong, then published to the
 * signal stream, and stored by the ingest.
 */
export class SignalService {
  /** Counted by this replica's ingest (`startSignalIngest`). */
  readonly statistics = newIngestStatistics();

  constructor(
    private readonly bus: MessageBus,
    private readonly events: EventSource,
    private readonly uow: UnitOfWork,
  ) {}

  /** Signals admitted by the one rule (`signal-admission.ts`), onto the signal stream; a refusal publishes none. */
  async publish(
    em: Tx,
    principal: Principal,
    inputs: EquipmentSignalInput[],
  ): Promise<{ accepted: number } | DomainFailure> {
    if (!inputs.length || inputs.length > MAX_SIGNALS_PER_CALL)
      return invalidInput('signals', `send 1 to ${MAX_SIGNALS_PER_CALL} signals per call (got ${inputs.length}).`);
    const messages = await admitSignals(em, this.bus.subjects, principal, inputs);
    if (isFailure(messages)) return messages;
    // One batch, its acknowledgements awaited together: all taken, or the caller sends it all again.
    await this.bus.publishSignals(messages);
    return { accepted: messages.length };
  }

  /** Every hub event at and below `scope` (`*`: everywhere) the principal may read, of the given types. */
  subscribeEvents(
    principal: Principal,
    scope: string,
    types: string[] | null,
    stream: StreamOptions = {},
  ): AsyncIterable<HubEventValue> {
    checkEventScope(principal, scope, 'subscribe to hub events');
    const wanted = types?.length ? new Set(types) : null;
    const subscription = this.events.subscribe(
      scope === '*' ? [`${this.bus.subjects.namespace}.event.>`] : this.bus.subjects.eventsScope(scope),
      feedOptions(stream),
    );
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<HubEventValue>> => {
          for (;;) {
            const r = await subscription.next();
            if (r.done) return { done: true, value: undefined };
            const event = visibleEvent(principal, r.value.subject, r.value.data as Record<string, unknown>, wanted);
            if (event) return { done: false, value: event };
          }
        },
        return: async (): Promise<IteratorResult<HubEventValue>> => {
          subscription.close();
          return { done: true, value: undefined };
        },
      }),
    };
  }

  /** The events after `after` as `hubEvents` would replay them, one page by plain request (`event-log.ts`). */
  async eventLog(
    em: Tx,
    principal: Principal,
    scope: string,
    types: string[] | null,
    after: string | null,
    first: number,
  ): Promise<HubEventLogPage> {
    checkEventScope(principal, scope, 'read hub events');
    if (!Number.isInteger(first) || first < 1 || first > 500)
      throw badUserInput(`first: ${first} is out of range; ask for 1 to 500 events.`);
    return readEventLog(em, principal, scope, types, after, first);
  }

  /** An event a flow raises about an equipment path, for other flows and subscribers. */
  async publishFlowEvent(
    em: Tx,
    principal: Principal,
    type: string,
    path: string,
    data: string,
  ): Promise<{ published: boolean } | DomainFailure> {
    if (!EVENT_TYPE.test(type))
      return invalidInput(
        'type',
        `"${type}" must be a PascalCase name of at most 64 letters and digits, e.g. ScrapRateHigh.`,
      );
    if (!isEquipmentPath(path)) return invalidInput('path', `"${path}" is not an equipment path.`);
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return invalidInput('data', 'must be JSON text, e.g. {"rate":0.07}.');
    }
    if (data.length > 65_536) return invalidInput('data', 'must be at most 64 KB.');
    if (!principal.can(Permission.Read, path) || !(await em.count(Equipment, { path })))
      return notFound('equipment', path);
    // Through the outbox like every event, so it has a cursor and reaches resuming subscribers.
    const done = await this.uow.run(principal.name, async (work) =>
      work.emit({
        subject: this.bus.subjects.flowEvent(type, path),
        type,
        data: { path, data: payload, actor: principal.name, at: new Date().toISOString() },
      }),
    );
    return isFailure(done) ? done : { published: true };
  }
}

function checkEventScope(principal: Principal, scope: string, what: string): void {
  if (scope !== '*' && !isEquipmentPath(scope)) {
    throw badUserInput(
      `scope: "${scope}" is not an equipment path; give a path prefix such as "acme/berlin", or "*" for everything you may read.`,
    );
  }
  if (!principal.canAnywhere(Permission.Read)) throw forbidden(principal, what);
}
