// Sparkplug B payloads in and out, with protobufjs 7's light build and the descriptor generated from
// sparkplug_b.proto: no .proto is parsed at run time. Loaded on first use (`loadCodec`), so a hub with
// no Sparkplug instance never loads protobufjs.

/** Sparkplug B data types (the DataType enum of the payload definition) this connector reads. */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
} as const;

export type MetricValue = number | string | boolean | null;

/** A metric as the host reads it: a scalar value or null (null, or a type it does not read). */
export interface SparkplugMetric {
  name?: string;
  alias?: number;
  /** ms since 1970 */
  timestamp?: number;
  datatype?: number;
  value: MetricValue;
  isHistorical?: boolean;
}

export interface SparkplugPayload {
  timestamp?: number;
  seq?: number;
  metrics: SparkplugMetric[];
}

export interface PayloadCodec {
  decode(bytes: Uint8Array): SparkplugPayload;
  encode(payload: SparkplugPayload): Uint8Array;
}

interface LongLike {
  toNumber(): number;
  toSigned(): LongLike;
  toUnsigned(): LongLike;
  unsigned: boolean;
}
interface LongClass {
  fromNumber(value: number): LongLike;
}
type Wire = Record<string, unknown>;

let loading: Promise<PayloadCodec> | null = null;

/** The codec, loaded once per process on first use. */
export function loadCodec(): Promise<PayloadCodec> {
  loading ??= (async () => {
    const [{ default: protobuf }, { PAYLOAD_DESCRIPTOR }] = await Promise.all([
      import('protobufjs/light.js'),
      import('./payload-descriptor.js'),
    ]);
    const Payload = protobuf.Root.fromJSON(PAYLOAD_DESCRIPTOR as protobuf.INamespace).lookupType(
      'org.eclipse.tahu.protobuf.Payload',
    );
    return {
      decode: (bytes) => fromWire(Payload.decode(bytes) as unknown as Wire),
      encode: (payload) =>
        Payload.encode(Payload.fromObject(toWire(payload, protobuf.util.Long as unknown as LongClass))).finish(),
    };
  })();
  return loading;
}

/** uint64 fields arrive as numbers or as Long (when the `long` package is there). */
function num(v: unknown, signed = false): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  const long = v as LongLike;
  return (signed && long.unsigned ? long.toSigned() : long).toNumber();
}

/** Decoded messages hold the fields that were sent; absent ones read as defaults from the prototype. */
const has = (w: Wire, field: string) => Object.hasOwn(w, field);

function fromWire(p: Wire): SparkplugPayload {
  const metrics = ((p.metrics as Wire[] | undefined) ?? []).map(
    (m): SparkplugMetric => ({
      name: has(m, 'name') ? (m.name as string) : undefined,
      alias: has(m, 'alias') ? num(m.alias) : undefined,
      timestamp: has(m, 'timestamp') ? num(m.timestamp) : undefined,
      datatype: has(m, 'datatype') ? (m.datatype as number) : undefined,
      value: m.isNull ? null : metricValue(m),
      isHistorical: (m.isHistorical as boolean | undefined) || undefined,
    }),
  );
  return {
    timestamp: has(p, 'timestamp') ? num(p.timestamp) : undefined,
    seq: has(p, 'seq') ? num(p.seq) : undefined,
    metrics,
  };
}

function metricValue(m: Wire): MetricValue {
  const t = m.datatype as number | undefined;
  switch (m.value) {
    case 'intValue': {
      const v = m.intValue as number;
      // Signed types travel as their two's complement in a uint32.
      if (t === DataType.Int8) return (v << 24) >> 24;
      if (t === DataType.Int16) return (v << 16) >> 16;
      if (t === DataType.Int32) return v | 0;
      return v;
    }
    case 'longValue':
      return num(m.longValue, t === DataType.Int64) ?? null;
    case 'floatValue':
      return m.floatValue as number;
    case 'doubleValue':
      return m.doubleValue as number;
    case 'booleanValue':
      return m.booleanValue as boolean;
    case 'stringValue':
      return m.stringValue as string;
    default:
      return null; // bytes, data sets, templates, arrays: not signals
  }
}

/** Metrics out; a negative Int64 goes as its two's complement, which protobufjs wants as a Long. */
function toWire(p: SparkplugPayload, Long: LongClass): Wire {
  return {
    timestamp: p.timestamp,
    seq: p.seq,
    metrics: p.metrics.map((m) => {
      const w: Wire = { name: m.name, alias: m.alias, timestamp: m.timestamp, datatype: m.datatype };
      if (m.value === null) w.isNull = true;
      else if (typeof m.value === 'boolean') w.booleanValue = m.value;
      else if (typeof m.value === 'string') w.stringValue = m.value;
      else if (m.datatype === DataType.Float) w.floatValue = m.value;
      else if (m.datatype === DataType.Double || !Number.isInteger(m.value)) w.doubleValue = m.value;
      else if (m.datatype === DataType.Int64 || m.datatype === DataType.UInt64 || m.datatype === DataType.DateTime)
        w.longValue = m.value < 0 ? Long.fromNumber(m.value).toUnsigned() : m.value;
      else w.intValue = m.value >>> 0;
      return w;
    }),
  };
}
