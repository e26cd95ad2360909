/**
 * The hub operations a HubConnection runs, and how their answers become results or errors. One set
 * of operations means one set of checks (the hub's `publishSignals` and `publishFlowEvent`), so
 * every connection (a remote Node-RED's, the hub's own flows process's, any other implementation)
 * accepts and refuses the same signals and events, with the same messages.
 */
import {
  SIGNAL_KINDS,
  signalKindEnumValue,
  type GraphQLResponse,
  type SignalBody,
  type SignalKind,
} from './hub-connection.js';

/** Runs one GraphQL operation as the connection's principal. */
export type RunGraphQL = (query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse>;

const ERRORS = '... on ErrorResult { code message } ... on InvalidInput { field } ... on NotFound { key }';
const PUBLISH_SIGNALS = `mutation PlantGraphPublishSignals($signals: [EquipmentSignalInput!]!) { publishSignals(signals: $signals) { __typename ... on SignalsPublished { accepted } ${ERRORS} } }`;
const PUBLISH_EVENT = `mutation PlantGraphPublishFlowEvent($type: String!, $path: String!, $data: String!) { publishFlowEvent(type: $type, path: $path, data: $data) { __typename ... on FlowEventPublished { published } ${ERRORS} } }`;

/** A mutation's union result: the success type, or an ErrorResult with code and message. */
interface MutationResult {
  __typename: string;
  message?: string;
  field?: string;
  key?: string;
  accepted?: number;
  published?: boolean;
}

/** The fields of `EquipmentSignalInput` besides kind and path. */
const SIGNAL_FIELDS = [
  'source',
  'sequence',
  'at',
  'state',
  'reason',
  'good',
  'scrap',
  'rework',
  'cycleTimeMs',
  'name',
  'value',
  'unit',
];

interface Pending {
  signal: Record<string, unknown>;
  resolve(): void;
  reject(err: Error): void;
}

export interface SignalBatchOptions {
  /** Longest wait before a partial batch of signals is sent (default 20 ms). */
  batchMs?: number;
  /** Signals per `publishSignals` mutation at most (default 200). */
  batchSize?: number;
}

/**
 * Signals are batched (up to `batchSize` or `batchMs`) into one `publishSignals` mutation: one
 * round trip (or one execution) per burst instead of one per machine value.
 */
export class SignalBatcher {
  private readonly batchMs: number;
  private readonly batchSize: number;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly run: RunGraphQL,
    options: SignalBatchOptions = {},
  ) {
    this.batchMs = options.batchMs ?? 20;
    this.batchSize = options.batchSize ?? 200;
  }

  publish(kind: SignalKind, path: string, body: SignalBody): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the hub connection is closed'));
    if (!SIGNAL_KINDS.includes(kind)) return Promise.reject(new Error(`unknown signal kind "${kind}"`));
    const signal: Record<string, unknown> = { kind: signalKindEnumValue(kind), path };
    for (const f of SIGNAL_FIELDS) if (body?.[f] !== undefined && body[f] !== null) signal[f] = body[f];
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ signal, resolve, reject });
      if (this.queue.length >= this.batchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.batchMs);
    });
  }

  /** Sends what is queued and waits for every answer; later signals are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.batchSize);
      const sent = this.send(batch).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
  }

  /**
   * The hub refuses a whole call for one bad signal (and publishes none of it): the bad one fails
   * alone, with the hub's message, and the rest of the batch goes again.
   */
  private async send(batch: Pending[]): Promise<void> {
    while (batch.length) {
      let result: MutationResult | undefined;
      try {
        const res = await this.run(PUBLISH_SIGNALS, { signals: batch.map((p) => p.signal) });
        throwOnErrors(res);
        result = res.data?.publishSignals as MutationResult | undefined;
      } catch (err) {
        for (const p of batch) p.reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (result?.__typename === 'SignalsPublished') {
        for (const p of batch) p.resolve();
        return;
      }
      const index = /^signals\[(\d+)\]/.exec(result?.field ?? '')?.[1];
      const refused =
        result?.__typename === 'NotFound' && result.key
          ? batch.filter((p) => p.signal.path === result.key)
          : index !== undefined && batch[Number(index)]
            ? [batch[Number(index)]!]
            : batch;
      const err = new Error(`signal refused by the hub: ${describeFailure(result)}`);
      for (const p of refused) p.reject(err);
      batch = refused.length ? batch.filter((p) => !refused.includes(p)) : [];
    }
  }
}

/** Publishes a flow event with `publishFlowEvent`; a refusal becomes an error with the hub's message. */
export async function publishFlowEvent(
  run: RunGraphQL,
  type: string,
  path: string,
  data: Record<string, unknown>,
): Promise<void> {
  const res = await run(PUBLISH_EVENT, { type, path, data: JSON.stringify(data ?? {}) });
  throwOnErrors(res);
  const result = res.data?.publishFlowEvent as MutationResult | undefined;
  if (result?.__typename !== 'FlowEventPublished' || !result.published)
    throw new Error(`event ${type} about ${path}: ${describeFailure(result)}`);
}

/** GraphQL errors (a refused or malformed call) as one error. */
export function throwOnErrors(res: GraphQLResponse): void {
  if (res.errors?.length) throw new Error(res.errors.map((e) => e.message).join('; '));
}

function describeFailure(result: MutationResult | undefined): string {
  if (!result) return 'no result';
  return `${result.__typename}${result.field ? ` (${result.field})` : ''}: ${result.message ?? 'refused'}`;
}
