/**
 * `plantgraph-equipment-signal`: maps a machine value (an MQTT message, an OPC UA tag, any msg)
 * to a signal of one equipment (state, count, cycle or process value) and publishes it on the
 * hub's ingest path. The mapping itself lives in logic/equipment-signal-mapper.ts.
 */
import { SIGNAL_KINDS } from '../hub-connection.js';
import { EquipmentSignalMapper, type EquipmentSignalConfig } from '../logic/equipment-signal-mapper.js';
import { SequenceGenerator } from '../logic/sequence.js';
import {
  errorMessage,
  hubConnection,
  numberSetting,
  short,
  StatusThrottle,
  tail,
  type Node,
  type NodeAPI,
  type NodeConfig,
} from './red.js';

/** The mapper's settings as the editor stores them (numbers arrive as text). */
interface EquipmentSignalNodeConfig extends NodeConfig, Omit<EquipmentSignalConfig, 'factor' | 'offset' | 'deadband'> {
  hub: string;
  property?: string;
  factor?: string | number;
  offset?: string | number;
  deadband?: string | number;
  source?: string;
  passthrough?: boolean;
}

export = function register(RED: NodeAPI): void {
  function EquipmentSignalNode(this: Node, config: EquipmentSignalNodeConfig) {
    RED.nodes.createNode(this, config);
    const source = config.source?.trim() || `node-red:${this.id}`;
    const sequence = new SequenceGenerator();
    const property = config.property?.trim() || 'payload';
    let mapper: EquipmentSignalMapper | null = null;
    let published = 0;
    const status = new StatusThrottle(this);
    let configError = '';
    try {
      if (!SIGNAL_KINDS.includes(config.kind)) throw new Error(`signal kind must be one of ${SIGNAL_KINDS.join(', ')}`);
      mapper = new EquipmentSignalMapper({
        kind: config.kind,
        path: config.path?.trim(),
        topicMapping: config.topicMapping,
        factor: numberSetting(config.factor, 1, 'factor'),
        offset: numberSetting(config.offset, 0, 'offset'),
        deadband: numberSetting(config.deadband, 0, 'deadband'),
        valueName: config.valueName?.trim(),
        unit: config.unit?.trim(),
        stateMap: config.stateMap,
        defaultReason: config.defaultReason?.trim(),
        onlyOnChange: config.onlyOnChange === true,
        countMode: config.countMode === 'cumulative' ? 'cumulative' : 'increment',
        countField: config.countField ?? 'good',
      });
      this.status({ fill: 'grey', shape: 'ring', text: `${config.kind}: waiting` });
    } catch (err) {
      this.status({ fill: 'red', shape: 'ring', text: short(errorMessage(err)) });
      configError = errorMessage(err);
      this.error(`configuration: ${configError}`);
    }

    this.on('input', async (msg, send, done) => {
      try {
        if (!mapper) throw new Error(`misconfigured: ${configError}`);
        const result = mapper.map({
          value: RED.util.getMessageProperty(msg, property),
          topic: msg.topic,
          path: msg.path,
          reason: msg.reason,
          at: msg.at,
        });
        if ('skip' in result) {
          status.show({ fill: 'green', shape: 'ring', text: `${published} sent, skipped: ${result.skip}` });
          return done();
        }
        const { kind, path, fields } = result.publish;
        const body = { ...fields, source, sequence: sequence.next() };
        try {
          await hubConnection(RED, config.hub).publishSignal(kind, path, body);
        } catch (err) {
          mapper.failed(result.publish);
          throw err;
        }
        published++;
        status.show({
          fill: 'green',
          shape: 'dot',
          text: `${published} sent, ${tail(`${path}: ${describe(fields)}`)}`,
        });
        if (config.passthrough !== false) {
          msg.signal = { kind, path, ...body };
          send(msg);
        }
        done();
      } catch (err) {
        status.now({ fill: 'red', shape: 'ring', text: short(errorMessage(err)) });
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });

    this.on('close', (_removed, done) => {
      status.stop();
      done();
    });
  }

  RED.nodes.registerType('plantgraph-equipment-signal', EquipmentSignalNode);
};

function describe(fields: Record<string, unknown>): string {
  if (fields.state) return `${String(fields.state)}${fields.reason ? `:${String(fields.reason)}` : ''}`;
  if (fields.cycleTimeMs !== undefined) return `${String(fields.cycleTimeMs)} ms`;
  if (fields.name !== undefined) return `${String(fields.name)}=${String(fields.value)}`;
  return ['good', 'scrap', 'rework']
    .filter((f) => fields[f])
    .map((f) => `${f} ${String(fields[f])}`)
    .join(', ');
}
