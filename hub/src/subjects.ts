/**
 * Every NATS subject the hub uses, in one place. Equipment paths become subject tokens:
 * `acme/berlin/assembly/line-1` → `acme.berlin.assembly.line-1` (path segments hold only
 * letters, digits, `-` and `_`, so they are always valid tokens).
 *
 * | subject                                   | direction      | payload                        |
 * |-------------------------------------------|----------------|--------------------------------|
 * | `pg.signal.equipment.state.<path>`        | equipment → hub | `EquipmentStateSignal` (JSON), header `Nats-Msg-Id: <source>:<sequence>` |
 * | `pg.event.equipment_state.changed.<path>` | hub → anyone   | `EquipmentStateChanged`        |
 * | `pg.event.<entity>.<action>.<path or key>`| hub → anyone   | `{ type, id, key, actor }` after each committed mutation, e.g. `pg.event.material_lot.created.L-100` for `MaterialLotCreated` |
 * | `pg.event.signal.rejected`                | hub → anyone   | `SignalRejected` (dead letter: subject, reason, payload) |
 *
 * Signals go into the JetStream stream `PLANTGRAPH_SIGNALS` (de-duplicated by message id over a
 * 2-minute window; the hub also keeps a unique (source, sequence) key, so a later re-send is
 * harmless too) and are read by the durable consumer `hub-ingest`. Events are published after the
 * transaction commits and kept 24 h in `PLANTGRAPH_EVENTS`.
 */
export const SIGNAL_STREAM = { name: 'PLANTGRAPH_SIGNALS', subjects: 'pg.signal.>' } as const;
export const EVENT_STREAM = { name: 'PLANTGRAPH_EVENTS', subjects: 'pg.event.>' } as const;
export const SIGNAL_CONSUMER = 'hub-ingest';

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

export const pathTokens = (path: string): string => path.split('/').join('.');

export const subjects = {
  equipmentStateSignal: (path: string) => `pg.signal.equipment.state.${pathTokens(path)}`,
  equipmentStateSignalPrefix: 'pg.signal.equipment.state.',
  equipmentStateChanged: (path: string) => `pg.event.equipment_state.changed.${pathTokens(path)}`,
  /** Patterns that match the scope itself and everything under it. */
  equipmentStateChangedScope: (scope: string) => [`pg.event.equipment_state.changed.${pathTokens(scope)}`, `pg.event.equipment_state.changed.${pathTokens(scope)}.>`],
  /** `MaterialLotCreated` about lot `L-1/a` → `pg.event.material_lot.created.L-1.a`. */
  domainEvent: (type: string, key: string) => {
    const [, entity, action] = /^(.+?)([A-Z][a-z]+)$/.exec(type) ?? [type, type, 'happened'];
    const snake = (s: string) => s.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();
    return `pg.event.${snake(entity!)}.${snake(action!)}.${key.replace(/[^A-Za-z0-9_-]+/g, '.').replace(/^\.+|\.+$/g, '') || '_'}`;
  },
  signalRejected: 'pg.event.signal.rejected',
} as const;
