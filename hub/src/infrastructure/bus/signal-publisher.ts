import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/nats-core';
import type { SignalPublish } from './message-bus.js';

/** As long as the JetStream client waits for one publish's answer (its default). */
const ACK_TIMEOUT_MS = 5000;

interface Waiting {
  left: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Publishes signals to JetStream as a batch: every message goes out at once (pipelined), each with
 * a reply subject under one inbox this connection subscribes to for good, and the batch resolves
 * when JetStream acknowledged every message (stored, or a duplicate it dropped). A request per
 * message (`js.publish`) costs a request object, a timer and two errors with their stacks each; at
 * thousands of signals per second that was a tenth of the hub's CPU (docs/benchmarks.md). Whatever
 * is not acknowledged in time fails the whole batch: its sender sends it again, and JetStream's
 * message ids and the ingest's (source, sequence) keep the repeat from counting twice.
 */
export class SignalPublisher {
  readonly #prefix: string;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  /** Its reply subscription ended: acknowledgements can no longer arrive. */
  broken = false;

  constructor(private readonly nc: NatsConnection) {
    this.#prefix = `${createInbox()}.`;
    // For the connection's life: its drain at close ends it.
    nc.subscribe(`${this.#prefix}*`, {
      // An error ends the subscription (e.g. a permission refused): the batches waiting time out,
      // and the bus makes a new publisher for the next one.
      callback: (err, msg) => {
        if (err) this.broken = true;
        else if (msg) this.#answer(msg);
      },
    });
  }

  publish(batch: readonly SignalPublish[]): Promise<void> {
    if (!batch.length) return Promise.resolve();
    const first = this.#next;
    this.#next += batch.length;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`JetStream did not acknowledge ${waiting.left} signals within ${ACK_TIMEOUT_MS} ms.`)),
        ACK_TIMEOUT_MS,
      );
      const done = (err?: Error) => {
        clearTimeout(timer);
        for (let n = first; n < first + batch.length; n++) this.#waiting.delete(n);
        if (err) reject(err);
        else resolve();
      };
      const waiting: Waiting = { left: batch.length, resolve: () => done(), reject: done };
      try {
        for (const [i, m] of batch.entries()) {
          this.#waiting.set(first + i, waiting);
          const h = headers();
          h.set('Nats-Msg-Id', m.id);
          this.nc.publish(m.subject, m.payload, { reply: `${this.#prefix}${first + i}`, headers: h });
        }
      } catch (err) {
        done(err as Error); // a closed connection: nothing of this batch counts as sent
      }
    });
  }

  #answer(msg: Msg): void {
    const n = Number(msg.subject.slice(this.#prefix.length));
    const waiting = this.#waiting.get(n);
    if (!waiting) return; // the batch already failed (timed out)
    this.#waiting.delete(n);
    const problem = ackProblem(msg);
    if (problem) waiting.reject(new Error(problem));
    else if (--waiting.left === 0) waiting.resolve();
  }
}

/** Why JetStream did not store the message, or null when it did (or dropped it as a duplicate). */
function ackProblem(msg: Msg): string | null {
  if (msg.headers?.code === 503) return 'JetStream did not answer: no stream takes signals (no responders).';
  if (!msg.data.length) return 'JetStream answered without an acknowledgement.';
  // An ack is {"stream":…,"seq":…}; only an error needs parsing.
  const text = msg.string();
  if (!text.includes('"error"')) return null;
  const { error } = JSON.parse(text) as { error?: { description?: string; code?: number } };
  return error ? `JetStream refused a signal: ${error.description ?? 'unknown error'} (${error.code ?? '?'})` : null;
}
