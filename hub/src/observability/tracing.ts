import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';

/** Where traces go: an OTLP/HTTP endpoint, as the OpenTelemetry environment variables name it. */
export interface TracingConfig {
  /** `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL), else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  endpoint: string;
  /** `OTEL_SERVICE_NAME`, default `plantgraph-hub`. */
  serviceName: string;
  /** `OTEL_BSP_SCHEDULE_DELAY`: how long spans are gathered before an export, default 5000 ms. */
  exportDelayMs: number;
}

/** The tracing settings from the standard OpenTelemetry variables; null (off) when no exporter is set. */
export function tracingFromEnv(env: Record<string, string | undefined>): TracingConfig | null {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (env.OTEL_TRACES_EXPORTER === 'none' || (!traces && !base)) return null;
  const endpoint = traces || `${base!.replace(/\/+$/, '')}/v1/traces`;
  try {
    new URL(endpoint);
  } catch {
    throw new Error(
      `OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://collector:4318, not "${endpoint}".`,
    );
  }
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 5000);
  if (!Number.isFinite(delay) || delay < 0)
    throw new Error(
      `OTEL_BSP_SCHEDULE_DELAY must be milliseconds, such as 5000, not "${env.OTEL_BSP_SCHEDULE_DELAY}".`,
    );
  return { endpoint, serviceName: env.OTEL_SERVICE_NAME || 'plantgraph-hub', exportDelayMs: delay };
}

/**
 * The hub's spans: one per HTTP request (renamed after the GraphQL operation it runs), one per
 * database statement and one per NATS publish, each a child of the request it happened in. The
 * current span is kept in an AsyncLocalStorage of this module's, so nothing global is registered.
 */
export class HubTracing {
  readonly #current = new AsyncLocalStorage<Span>();

  private constructor(
    private readonly tracer: Tracer,
    private readonly shutdown: () => Promise<void>,
  ) {}

  /** Tracing to `config`'s OTLP endpoint; the SDK is loaded only here, so a hub without it pays nothing. */
  static async open(config: TracingConfig): Promise<HubTracing> {
    const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
      await Promise.all([
        import('@opentelemetry/sdk-trace'),
        import('@opentelemetry/exporter-trace-otlp-http'),
        import('@opentelemetry/resources'),
      ]);
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: config.endpoint }),
          scheduledDelayMillis: config.exportDelayMs,
        }),
      ],
    });
    return new HubTracing(provider.getTracer('plantgraph-hub'), () => provider.shutdown());
  }

  /** Runs `work` in a new span, a child of the current one; the span ends when `work` settles. */
  async inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(name, { kind, attributes }, this.#parent());
    try {
      return await this.#current.run(span, () => work(span));
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  }

  /** The span of the work being done, to name it or mark it failed. */
  currentSpan(): Span | undefined {
    return this.#current.getStore();
  }

  /** A database statement that took `tookMs` and has just finished. */
  statement(sql: string, tookMs: number, failed: boolean): void {
    const end = Date.now();
    const span = this.tracer.startSpan(
      firstWord(sql),
      {
        kind: SpanKind.CLIENT,
        startTime: end - tookMs,
        attributes: { 'db.system.name': 'postgresql', 'db.query.text': sql.slice(0, 2048) },
      },
      this.#parent(),
    );
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
  }

  /** Flushes what is buffered and stops exporting. */
  close(): Promise<void> {
    return this.shutdown();
  }

  #parent() {
    const parent = this.#current.getStore();
    return parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  }
}

function firstWord(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'statement';
}

/** Publishes on `bus` traced as producer spans (the subject as an attribute: names stay few). */
export function tracedPublishes<Bus extends object>(bus: Bus, tracing: HubTracing): Bus {
  const traced = new Set<PropertyKey>(['publish', 'publishSignal']);
  return new Proxy(bus, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'publishSignals')
        // One span per batch, named as a single publish was (one operation on the bus for its caller).
        return (batch: readonly { subject: string }[]) =>
          tracing.inSpan(
            'nats publishSignal',
            SpanKind.PRODUCER,
            {
              'messaging.system': 'nats',
              'messaging.destination.name': batch[0]?.subject ?? '',
              'messaging.batch.message_count': batch.length,
            },
            () => value.call(target, batch),
          );
      if (!traced.has(property)) return value.bind(target);
      return (subject: string, ...rest: unknown[]) =>
        tracing.inSpan(
          `nats ${String(property)}`,
          SpanKind.PRODUCER,
          { 'messaging.system': 'nats', 'messaging.destination.name': subject },
          () => value.call(target, subject, ...rest),
        );
    },
  });
}
