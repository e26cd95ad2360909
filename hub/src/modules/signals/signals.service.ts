import { Equipment, EquipmentState, Permission } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus, QueueOptions } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import { forbidden } from '../../core/visibility.js';
import type { SignalKind } from '../../subjects.js';
import { isEquipmentPath } from '../../core/keys.js';
import { parseSignal } from './signal-parsing.js';
import { newIngestStatistics } from './signal-ingest.js';
import { type DomainFailure, invalidInput, notFound } from '../../core/failures.js';
import { badUserInput } from '../../core/faults.js';

const MAX_SIGNALS_PER_CALL = 1000;
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,63}$/;

export interface SignalInput {
  kind: SignalKind; path: string; source: string; sequence: number; at?: Date | null;
  state?: EquipmentState | null; reason?: string | null; good?: number | null; scrap?: number | null; rework?: number | null;
  cycleTimeMs?: number | null; name?: string | null; value?: number | null; unit?: string | null;
}

/** Any hub event as flows and `hubEvents` subscribers get it. */
export interface HubEventValue { subject: string; type: string; path: string | null; data: Record<string, unknown> }

/**
 * Signals from clients that are not on NATS (a remote Node-RED, a gateway behind HTTP), the
 * generic event feed for flows, and the ingest counters. Signals take the same durable path as
 * equipment's own: they are checked here so the caller hears what is wrong, then published to the
 * signal stream, and stored by the ingest.
 */
export class SignalService {
  /** Counted by this replica's ingest (`startSignalIngest`). */
  readonly statistics = newIngestStatistics();

  constructor(private readonly bus: MessageBus) {}

  async publish(em: Tx, principal: Principal, inputs: SignalInput[]): Promise<{ accepted: number } | DomainFailure> {
    if (!inputs.length || inputs.length > MAX_SIGNALS_PER_CALL) return invalidInput('signals', `send 1 to ${MAX_SIGNALS_PER_CALL} signals per call (got ${inputs.length}).`);
    const messages: { subject: string; payload: Buffer; id: string }[] = [];
    for (const [i, s] of inputs.entries()) {
      if (!isEquipmentPath(s.path)) return invalidInput(`signals[${i}].path`, `"${s.path}" is not an equipment path such as acme/berlin/assembly/line-1/press-1.`);
      const { kind, path, at, ...fields } = s;
      const body = Object.fromEntries(Object.entries({ ...fields, at: at?.toISOString() }).filter(([, v]) => v != null));
      const subject = this.bus.subjects.equipmentSignal(kind, path);
      const payload = Buffer.from(JSON.stringify(body));
      const problem = parseSignal(this.bus.subjects, { subject, payload, attempt: 1, ack: () => {}, nak: () => {} });
      if (typeof problem === 'string') return invalidInput(`signals[${i}]`, problem);
      messages.push({ subject, payload, id: `${s.source}:${s.sequence}` });
    }
    const paths = [...new Set(inputs.map((s) => s.path))];
    const found = new Set((await em.find(Equipment, { path: { $in: paths } }, { fields: ['path'] })).map((e) => e.path));
    // Out of scope looks exactly like missing.
    const missing = paths.find((p) => !found.has(p) || !principal.can(Permission.SetEquipmentState, p));
    if (missing) return notFound('equipment', missing);
    await Promise.all(messages.map((m) => this.bus.publishSignal(m.subject, m.payload, m.id)));
    return { accepted: messages.length };
  }

  /** Every hub event at and below `scope` (`*`: everywhere) the principal may read, of the given types. */
  subscribeEvents(principal: Principal, scope: string, types: string[] | null, queue: QueueOptions = {}): AsyncIterable<HubEventValue> {
    if (scope !== '*' && !isEquipmentPath(scope)) {
      throw badUserInput(`scope: "${scope}" is not an equipment path; give a path prefix such as "acme/berlin", or "*" for everything you may read.`);
    }
    if (!principal.canAnywhere(Permission.Read)) throw forbidden(principal, 'subscribe to hub events');
    const wanted = types?.length ? new Set(types) : null;
    const subscription = this.bus.subscribe(scope === '*' ? [`${this.bus.subjects.namespace}.event.>`] : this.bus.subjects.eventsScope(scope), queue);
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<HubEventValue>> => {
          for (;;) {
            const r = await subscription.next();
            if (r.done) return { done: true, value: undefined };
            const data = r.value.data as Record<string, unknown>;
            const type = typeof data.type === 'string' ? data.type : 'Unknown';
            const path = typeof data.path === 'string' && isEquipmentPath(data.path) ? data.path : null;
            // Events about no equipment (master data) are for enterprise-wide readers only; those of the
            // installation's own records (`scope: "*"`: API keys, flows) for installation-wide ones.
            const visible = path ? principal.can(Permission.Read, path)
              : data.scope === '*' ? principal.scopesFor(Permission.Read).includes('*') : principal.canEnterpriseWide(Permission.Read);
            if (visible && (!wanted || wanted.has(type))) return { done: false, value: { subject: r.value.subject, type, path, data } };
          }
        },
        return: async (): Promise<IteratorResult<HubEventValue>> => {
          subscription.close();
          return { done: true, value: undefined };
        },
      }),
    };
  }

  /** An event a flow raises about an equipment path, for other flows and subscribers. */
  async publishFlowEvent(em: Tx, principal: Principal, type: string, path: string, data: string): Promise<{ published: boolean } | DomainFailure> {
    if (!EVENT_TYPE.test(type)) return invalidInput('type', `"${type}" must be a PascalCase name of at most 64 letters and digits, e.g. ScrapRateHigh.`);
    if (!isEquipmentPath(path)) return invalidInput('path', `"${path}" is not an equipment path.`);
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return invalidInput('data', 'must be JSON text, e.g. {"rate":0.07}.');
    }
    if (data.length > 65_536) return invalidInput('data', 'must be at most 64 KB.');
    if (!principal.can(Permission.Read, path) || !(await em.count(Equipment, { path }))) return notFound('equipment', path);
    await this.bus.publish(this.bus.subjects.flowEvent(type, path), { type, path, data: payload, actor: principal.name, at: new Date().toISOString() });
    return { published: true };
  }
}
