/**
 * Every NATS subject the hub uses, in one place. Equipment paths become subject tokens:
 * `acme/berlin/assembly/line-1` → `acme.berlin.assembly.line-1` (path segments hold only
 * letters, digits, `-` and `_`, so they are always valid tokens).
 *
 * | subject                                   | direction      | payload                        |
 * |-------------------------------------------|----------------|--------------------------------|
 * | `pg.signal.equipment.state.<path>`        | equipment → hub | `EquipmentStateSignal` (JSON), header `Nats-Msg-Id: <source>:<sequence>` |
 * | `pg.signal.equipment.count.<path>`        | equipment → hub | `EquipmentCountSignal`: parts since the last count, header `Nats-Msg-Id: <source>:<sequence>` |
 * | `pg.signal.equipment.cycle.<path>`        | equipment → hub | `EquipmentCycleSignal`: one completed machine cycle and its time |
 * | `pg.signal.equipment.value.<path>`        | equipment → hub | `EquipmentValueSignal`: a process value (name, value, unit) |
 * | `pg.event.equipment_state.changed.<path>` | hub → anyone   | `EquipmentStateChanged`        |
 * | `pg.event.equipment_condition.changed.<path>` | hub → anyone | `EquipmentConditionRecorded`, `…Updated`, `…Cleared`, `EquipmentCalibrationOverdue` (`{ type, path, condition, previousCondition, blocking, recordId, … }`) |
 * | `pg.event.production.counted.<path>`      | hub → anyone   | `ProductionCounted` (`{ path, good, scrap, rework, at }`) |
 * | `pg.event.oee.updated.<machine path>`     | hub → anyone   | `OeeUpdated`: the current shift's figures of a machine that reported, at most every few seconds |
 * | `pg.event.<entity>.<action>.<path or key>`| hub → anyone   | `{ type, id, key, actor }` after each committed mutation, e.g. `pg.event.material_lot.created.L-100` for `MaterialLotCreated` |
 * | `pg.event.work_order.changed.<line path>` | hub → anyone   | `WorkOrderCreated`, `WorkOrderReleased`, `…Started`, `…Paused`, `…Resumed`, `…Cancelled` … (`{ type, number, state, previousState, path, at, actor }`) |
 * | `pg.event.alert.changed.<equipment path>` | hub → anyone   | `AlertRaised`, `AlertEscalated`, `AlertAcknowledged`, `AlertCleared` (`{ type, id, path, severity, title, escalationLevel, occurrences, at, actor }`) |
 * | `pg.event.process_value.reported.<path>`  | hub → anyone   | `ProcessValueReported` (`{ path, name, value, unit, at }`) |
 * | `pg.event.flow.<type>.<path>`             | flows → anyone | an event a flow published (`{ type, path, data }`) |
 * | `pg.event.signal.rejected`                | hub → anyone   | `SignalRejected` (dead letter: subject, reason, payload) |
 * | `pg.event.api_key.revoked.<prefix>`       | hub → replicas | `ApiKeyRevoked` (`{ type, id, key, actor, scope: "*" }`): every replica closes the key's WebSockets (4403) |
 *
 * Signals go into the JetStream stream `PLANTGRAPH_SIGNALS` (de-duplicated by message id over a
 * 2-minute window; the hub also keeps a unique (source, sequence) key, so a later re-send is
 * harmless too) and are read by the durable consumer `hub-ingest`. Events are published after the
 * transaction commits and kept 24 h in `PLANTGRAPH_EVENTS`.
 */
import { SIGNAL_KINDS, type SignalKind } from '@plantgraph/node-red-contrib-plantgraph';

/** The payload equipment (or a gateway, or a flow) publishes to report a state change. */
export interface EquipmentStateSignal {
  /** One of the `EquipmentState` values. */
  state: string;
  /** Required for `Down`: the downtime reason code. */
  reason?: string | null;
  /** When the state was entered, ISO-8601; defaults to arrival time. */
  at?: string;
  /** Who sends it: a PLC, gateway or flow id, stable across restarts. */
  source: string;
  /** Increases by one per message of this source; with `source` it makes the message unique. */
  sequence: number;
}

/** Parts an equipment made since its previous count signal. */
export interface EquipmentCountSignal {
  good: number;
  scrap?: number;
  rework?: number;
  at?: string;
  source: string;
  sequence: number;
}

/** One completed machine cycle: a count of `good` (default 1) and `scrap` parts with its cycle time. */
export interface EquipmentCycleSignal {
  cycleTimeMs: number;
  good?: number;
  scrap?: number;
  at?: string;
  source: string;
  sequence: number;
}

/** A process value: a temperature, a pressure, a speed … */
export interface EquipmentValueSignal {
  name: string;
  value: number;
  unit?: string;
  at?: string;
  source: string;
  sequence: number;
}

// The kinds are part of the flows' connection contract, which this hub implements (embedded) and serves (remote).
export { SIGNAL_KINDS, type SignalKind };

export const pathTokens = (path: string): string => path.replaceAll('/', '.');

/**
 * The subjects and streams of one PlantGraph installation. The namespace (default `pg`,
 * `PLANTGRAPH_NATS_NAMESPACE`) lets several installations share one NATS cluster; the tables
 * above show the default.
 */
export class Subjects {
  readonly signalStream: { name: string; subjects: string };
  readonly eventStream: { name: string; subjects: string };
  readonly signalConsumer = 'hub-ingest';
  /** `<ns>.signal.equipment.<kind>.` for each signal kind. */
  readonly signalPrefix: Record<SignalKind, string>;
  readonly signalRejected: string;

  constructor(readonly namespace = 'pg') {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(namespace))
      throw new Error(`The NATS namespace must be 1-32 letters, digits, "-" or "_" (got "${namespace}").`);
    const stream = namespace === 'pg' ? 'PLANTGRAPH' : `PLANTGRAPH_${namespace.toUpperCase()}`;
    this.signalStream = { name: `${stream}_SIGNALS`, subjects: `${namespace}.signal.>` };
    this.eventStream = { name: `${stream}_EVENTS`, subjects: `${namespace}.event.>` };
    this.signalPrefix = Object.fromEntries(
      SIGNAL_KINDS.map((k) => [k, `${namespace}.signal.equipment.${k}.`]),
    ) as Record<SignalKind, string>;
    this.signalRejected = `${namespace}.event.signal.rejected`;
  }

  equipmentSignal(kind: SignalKind, path: string): string {
    return `${this.signalPrefix[kind]}${pathTokens(path)}`;
  }

  /** The kind and equipment path of a signal subject, or null when it is not one. */
  parseSignalSubject(subject: string): { kind: SignalKind; path: string } | null {
    const kind = SIGNAL_KINDS.find((k) => subject.startsWith(this.signalPrefix[k]));
    return kind ? { kind, path: subject.slice(this.signalPrefix[kind].length).replaceAll('.', '/') } : null;
  }

  processValueReported(path: string): string {
    return `${this.namespace}.event.process_value.reported.${pathTokens(path)}`;
  }

  flowEvent(type: string, path: string): string {
    return `${this.namespace}.event.flow.${type}.${pathTokens(path)}`;
  }

  /** Every event at and below `scope`, whatever its topic (`<ns>.event.<entity>.<action>.<path>`). */
  eventsScope(scope: string): string[] {
    const base = `${this.namespace}.event.*.*.${pathTokens(scope)}`;
    return [base, `${base}.>`];
  }

  oeeUpdated(path: string): string {
    return `${this.namespace}.event.oee.updated.${pathTokens(path)}`;
  }

  oeeUpdatedScope(scope: string): string[] {
    return this.atAndBelow('oee.updated', scope);
  }

  productionCounted(path: string): string {
    return `${this.namespace}.event.production.counted.${pathTokens(path)}`;
  }

  equipmentStateChanged(path: string): string {
    return `${this.namespace}.event.equipment_state.changed.${pathTokens(path)}`;
  }

  equipmentStateChangedScope(scope: string): string[] {
    return this.atAndBelow('equipment_state.changed', scope);
  }

  equipmentConditionChanged(path: string): string {
    return `${this.namespace}.event.equipment_condition.changed.${pathTokens(path)}`;
  }

  equipmentConditionChangedScope(scope: string): string[] {
    return this.atAndBelow('equipment_condition.changed', scope);
  }

  workOrderChanged(equipmentPath: string): string {
    return `${this.namespace}.event.work_order.changed.${pathTokens(equipmentPath)}`;
  }

  workOrderChangedScope(scope: string): string[] {
    return this.atAndBelow('work_order.changed', scope);
  }

  /** An entry of the production schedule placed, moved or removed on the unit at `unitPath`. */
  scheduleChanged(unitPath: string): string {
    return `${this.namespace}.event.schedule.changed.${pathTokens(unitPath)}`;
  }

  scheduleChangedScope(scope: string): string[] {
    return this.atAndBelow('schedule.changed', scope);
  }

  alertChanged(equipmentPath: string): string {
    return `${this.namespace}.event.alert.changed.${pathTokens(equipmentPath)}`;
  }

  alertChangedScope(scope: string): string[] {
    return this.atAndBelow('alert.changed', scope);
  }

  /**
   * A connector instance or one of its deliveries or imports changed, at the instance's scope
   * (`_installation` for an installation-wide instance, `*`).
   */
  connectorChanged(scope: string): string {
    return `${this.namespace}.event.connector.changed.${scope === '*' ? '_installation' : pathTokens(scope)}`;
  }

  /** Every connector change, whatever its scope (each replica's connector host follows them). */
  connectorChangedAll(): string {
    return `${this.namespace}.event.connector.changed.>`;
  }

  connectorChangedScope(scope: string): string[] {
    return this.atAndBelow('connector.changed', scope);
  }

  /** Patterns matching event `topic` for the scope itself and everything under it. */
  private atAndBelow(topic: string, scope: string): string[] {
    const base = `${this.namespace}.event.${topic}.${pathTokens(scope)}`;
    return [base, `${base}.>`];
  }

  /**
   * Every event about API keys (`ApiKeyCreated`, `ApiKeyRevoked`, keyed by the key's prefix): each
   * replica follows them to close the WebSockets of a revoked key.
   */
  apiKeyChanges(): string {
    return `${this.namespace}.event.api_key.*.>`;
  }

  /** `MaterialLotCreated` about lot `L-1/a` → `pg.event.material_lot.created.L-1.a`. */
  domainEvent(type: string, key: string): string {
    const [, entity, action] = /^(.+?)([A-Z][a-z]+)$/.exec(type) ?? [type, type, 'happened'];
    const snake = (w: string) => w.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();
    const tokens = key.replace(/[^A-Za-z0-9_-]+/g, '.').replace(/^\.+|\.+$/g, '') || '_';
    return `${this.namespace}.event.${snake(entity!)}.${snake(action!)}.${tokens}`;
  }
}
