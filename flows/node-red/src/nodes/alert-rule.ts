/**
 * `plantgraph-alert-rule`: raises and clears hub alerts from a rule evaluated per equipment path
 * (threshold with hysteresis, state held too long, scrap rate over a sliding window). The rule
 * logic is in logic/alert-rules.ts; this wrapper reads messages, calls the hub and reports.
 * Escalation of unacknowledged alerts is the hub's; the node can only set its interval.
 */
import { AlertClient } from '../logic/alert-client.js';
import {
  ALERT_SEVERITIES,
  AlertRuleEngine,
  deduplicationKey,
  type AlertSeverity,
  type AlertTransition,
  type Observation,
  type RuleSpec,
} from '../logic/alert-rules.js';
import { toNumber } from '../logic/signal-mapping.js';
import { fillTemplate } from '../logic/templates.js';
import {
  errorMessage,
  hubConnection,
  numberSetting,
  short,
  StatusThrottle,
  type Node,
  type NodeAPI,
  type NodeConfig,
  type NodeMessage,
} from './red.js';

interface AlertRuleNodeConfig extends NodeConfig {
  hub: string;
  rule: 'threshold' | 'stateDuration' | 'rate';
  path?: string;
  property?: string;
  high?: string;
  low?: string;
  hysteresis?: string;
  states?: string;
  duration?: string;
  durationUnit?: 's' | 'min';
  windowMinutes?: string;
  limitPercent?: string;
  minParts?: string;
  severity?: AlertSeverity;
  dedupKey?: string;
  title?: string;
  description?: string;
  escalateAfterSeconds?: string;
}

const DEFAULT_TITLES: Record<RuleSpec['kind'], string> = {
  threshold: '{{path}}: {{value}} is beyond its limit',
  stateDuration: '{{path}}: {{state}} for more than {{limit}}',
  rate: '{{path}}: scrap rate {{rate}}% over the last {{window}}',
};

export = function register(RED: NodeAPI): void {
  function AlertRuleNode(this: Node, config: AlertRuleNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const alertIds = new Map<string, string>();
    const status = new StatusThrottle(node);
    const queues = new Map<string, Promise<void>>();
    let engine: AlertRuleEngine | null = null;
    let spec: RuleSpec | null = null;
    let tick: NodeJS.Timeout | null = null;
    // Transitions caused by a message are collected so its done() reports hub failures.
    let collecting: AlertTransition[] | null = null;
    const severity: AlertSeverity = ALERT_SEVERITIES.includes(config.severity as AlertSeverity)
      ? config.severity!
      : 'Medium';
    let escalateAfterSeconds: number | undefined;

    let configError = '';
    try {
      spec = ruleSpec(config);
      escalateAfterSeconds = numberSetting(config.escalateAfterSeconds, undefined, 'escalate after');
      engine = new AlertRuleEngine(spec, (t) =>
        collecting ? collecting.push(t) : void handle(t).catch((err) => node.error(errorMessage(err))),
      );
      if (spec.kind === 'rate')
        tick = setInterval(() => engine!.tick(), Math.max(1_000, Math.min(spec.windowMs / 10, 10_000)));
      showStatus();
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: short(errorMessage(err)) });
      configError = errorMessage(err);
      node.error(`configuration: ${configError}`);
    }

    function showStatus() {
      const active = engine?.activeCount ?? 0;
      status.show(
        active
          ? { fill: 'red', shape: 'dot', text: `${active} raised of ${engine!.pathCount} paths` }
          : { fill: 'green', shape: 'dot', text: `ok, ${engine?.pathCount ?? 0} paths` },
      );
    }

    /** One hub call chain per path, so a clear never overtakes its raise. */
    function handle(t: AlertTransition): Promise<void> {
      const run = (queues.get(t.path) ?? Promise.resolve())
        .then(() => transition(t))
        .catch((err: unknown) => {
          engine?.retract(t.path);
          showStatus();
          throw err;
        });
      const tail = run.catch(() => {});
      queues.set(t.path, tail);
      void tail.then(() => {
        if (queues.get(t.path) === tail) queues.delete(t.path);
      });
      return run;
    }

    async function transition(t: AlertTransition): Promise<void> {
      const client = new AlertClient(hubConnection(RED, config.hub));
      const key = deduplicationKey(config.dedupKey?.trim(), node.id, t.path);
      const values = {
        ...t.detail,
        path: t.path,
        rule: node.id,
        severity,
        limit: limitText(spec!),
        window: spec!.kind === 'rate' ? `${spec!.windowMs / 60_000} min` : '',
        duration: t.detail.durationMs !== undefined ? `${Math.round(Number(t.detail.durationMs) / 1000)} s` : '',
      };
      const title = fillTemplate(config.title?.trim() || DEFAULT_TITLES[spec!.kind], values);
      if (t.kind === 'raise') {
        const description = config.description?.trim() ? fillTemplate(config.description, values) : undefined;
        const alert = await client.raise({
          path: t.path,
          deduplicationKey: key,
          severity,
          title,
          description,
          escalateAfterSeconds,
        });
        alertIds.set(t.path, alert.id);
        showStatus();
        node.send({
          topic: t.path,
          payload: {
            event: 'raised',
            path: t.path,
            alertId: alert.id,
            deduplicationKey: key,
            severity,
            title,
            occurrences: alert.occurrences,
            detail: t.detail,
          },
        });
        return;
      }
      // An id we do not know: the alert was raised by an earlier run of this flow (or never).
      const id = alertIds.get(t.path) ?? (await client.findOpen(t.path, key));
      alertIds.delete(t.path);
      showStatus();
      if (!id) return;
      await client.clear(id, `condition gone: ${title}`);
      node.send({
        topic: t.path,
        payload: {
          event: 'cleared',
          path: t.path,
          alertId: id,
          deduplicationKey: key,
          severity,
          title,
          detail: t.detail,
        },
      });
    }

    node.on('input', async (msg, _send, done) => {
      const transitions: AlertTransition[] = [];
      try {
        if (!engine || !spec) throw new Error(`misconfigured: ${configError}`);
        const path = config.path?.trim() || pathOf(msg);
        if (!path)
          throw new Error(
            'no equipment path: set Path in the node, or send msg.path (event-in and equipment-signal set it)',
          );
        collecting = transitions;
        try {
          engine.observe(path, observationOf(spec, msg, config.property?.trim() || 'payload', RED));
        } finally {
          collecting = null;
        }
        showStatus();
        await Promise.all(transitions.map(handle));
        done();
      } catch (err) {
        status.now({ fill: 'red', shape: 'ring', text: short(errorMessage(err)) });
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });

    node.on('close', (_removed, done) => {
      if (tick) clearInterval(tick);
      status.stop();
      engine?.dispose();
      // Let hub calls under way finish, so a clear is not lost on redeploy.
      void Promise.allSettled([...queues.values()]).then(() => done());
    });
  }

  RED.nodes.registerType('plantgraph-alert-rule', AlertRuleNode);
};

function ruleSpec(config: AlertRuleNodeConfig): RuleSpec {
  const n = (v: unknown, label: string, fallback?: number) => numberSetting(v, fallback, label);
  if (config.rule === 'stateDuration') {
    const unit = config.durationUnit === 'min' ? 60_000 : 1_000;
    return {
      kind: 'stateDuration',
      states: (config.states ?? 'Down').split(/[,\s]+/).filter(Boolean),
      durationMs: n(config.duration, 'duration', 0)! * unit,
    };
  }
  if (config.rule === 'rate') {
    return {
      kind: 'rate',
      windowMs: n(config.windowMinutes, 'window', 15)! * 60_000,
      limitPercent: n(config.limitPercent, 'limit', 5)!,
      minParts: n(config.minParts, 'minimum parts', 1),
      hysteresis: n(config.hysteresis, 'hysteresis', 0),
    };
  }
  return {
    kind: 'threshold',
    high: n(config.high, 'high limit'),
    low: n(config.low, 'low limit'),
    hysteresis: n(config.hysteresis, 'hysteresis', 0),
  };
}

function limitText(spec: RuleSpec): string {
  if (spec.kind === 'stateDuration')
    return spec.durationMs % 60_000 === 0 && spec.durationMs
      ? `${spec.durationMs / 60_000} min`
      : `${spec.durationMs / 1000} s`;
  if (spec.kind === 'rate') return `${spec.limitPercent}%`;
  return [spec.high !== undefined ? `high ${spec.high}` : '', spec.low !== undefined ? `low ${spec.low}` : '']
    .filter(Boolean)
    .join(', ');
}

const record = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** msg.path, else the path of an equipment-signal passthrough or of an event's payload. */
function pathOf(msg: NodeMessage): string | null {
  for (const candidate of [msg.path, record(msg.signal)?.path, record(msg.payload)?.path])
    if (typeof candidate === 'string' && candidate) return candidate;
  return null;
}

/** What the rule needs from a message: from an equipment-signal passthrough (msg.signal) or the payload/property. */
function observationOf(spec: RuleSpec, msg: NodeMessage, property: string, RED: NodeAPI): Observation {
  const signal = record(msg.signal);
  if (spec.kind === 'threshold') {
    const raw = RED.util.getMessageProperty(msg, property);
    const value = toNumber(record(raw) ? record(raw)!.value : raw);
    if (value === null) throw new Error(`msg.${property} is not a number: ${JSON.stringify(raw)}`);
    return { value };
  }
  if (spec.kind === 'stateDuration') {
    const source = signal?.kind === 'state' ? signal : (record(msg.payload) ?? { state: msg.payload });
    if (typeof source.state !== 'string')
      throw new Error(
        'no equipment state: send msg.payload as a state name or { state, at } (as EquipmentStateChanged events carry)',
      );
    const since = typeof source.at === 'string' ? Date.parse(source.at) : undefined;
    return Number.isFinite(since) ? { state: source.state, since } : { state: source.state };
  }
  const counts = (signal?.kind === 'count' || signal?.kind === 'cycle' ? signal : record(msg.payload)) ?? {};
  const good = toNumber(counts.good ?? (signal?.kind === 'cycle' ? 1 : 0));
  const scrap = toNumber(counts.scrap ?? 0);
  if (good === null || scrap === null || good < 0 || scrap < 0)
    throw new Error('counts must be { good, scrap } with numbers of parts (as ProductionCounted events carry)');
  return { good, scrap };
}
