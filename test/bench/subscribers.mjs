// The latency bench's subscribers: graphql-ws (`graphql-transport-ws`) spoken over plain `ws`
// sockets, ten subscriptions per connection, subscriber k on machine k % machines. Each delivery is
// parsed (JSON.parse of the whole frame: nothing assumed of the hub's byte layout) and its latency
// taken against the signal's `at`; per subscriber the signal sequences must rise (a repeat or a step
// back counts as out of order) and, at the end, each must have had every event of its machine.
import WebSocket from 'ws';

const PER_CONNECTION = 10;

export async function openSubscribers({ hubUrl, key, machines, count }) {
  const latencies = [];
  /** When each delivered signal was sent (its `at`), by the index of its latency. */
  const sentAt = [];
  const errors = [];
  const received = new Array(count).fill(0);
  const lastSequence = new Array(count).fill(-1);
  let outOfOrder = 0;
  /** The source whose signals are counted (all until `reset` names one): a warm-up's late ones are not. */
  let counting = null;
  const sockets = [];
  const url = `${hubUrl.replace('http', 'ws')}/graphql`;
  const opened = [];
  for (let first = 0; first < count; first += PER_CONNECTION) {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    sockets.push(socket);
    const last = Math.min(first + PER_CONNECTION, count);
    opened.push(
      new Promise((resolve, reject) => {
        socket.once('open', () => {
          socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
        });
        socket.on('message', (data) => {
          const m = JSON.parse(data.toString());
          if (m.type === 'next') {
            const k = Number(m.id);
            if (m.payload.errors) return errors.push(m.payload.errors[0].message);
            const change = m.payload.data.equipmentStateChanged;
            if (counting !== null && change.source !== counting) return;
            const at = Date.parse(change.at);
            latencies.push(Date.now() - at);
            sentAt.push(at);
            const sequence = Number(change.sequence);
            if (sequence <= lastSequence[k]) outOfOrder++;
            lastSequence[k] = sequence;
            received[k]++;
          } else if (m.type === 'connection_ack') {
            for (let k = first; k < last; k++) {
              const scope = `bench/site/area/line/m${k % machines}`;
              const query = `subscription { equipmentStateChanged(scope: "${scope}") { at sequence source } }`;
              socket.send(JSON.stringify({ id: String(k), type: 'subscribe', payload: { query } }));
            }
            resolve();
          } else if (m.type === 'ping') socket.send('{"type":"pong"}');
          else if (m.type === 'error') errors.push(JSON.stringify(m.payload));
          else if (m.type === 'complete') errors.push(`subscription ${m.id} completed`);
        });
        socket.once('error', reject);
        socket.once('close', (code, reason) => {
          if (code !== 1000) errors.push(`socket closed ${code} ${reason}`);
          reject(new Error(`socket closed ${code} ${reason}`));
        });
      }),
    );
  }
  await Promise.all(opened);
  return {
    latencies,
    sentAt,
    errors,
    /** Subscribers short of their machine's events, over all, and deliveries out of order. */
    check(total) {
      let lost = 0;
      for (let k = 0; k < count; k++) {
        const m = k % machines;
        const expected = Math.floor(total / machines) + (m < total % machines ? 1 : 0);
        lost += Math.max(0, expected - received[k]);
      }
      return { lost, outOfOrder };
    },
    /**
     * Forgets every delivery so far (after a warm-up): counts, sequences and latencies start again, and
     * from now on only signals of `source` count (a warm-up's signals still arriving would otherwise
     * count as measured, and each subscriber's sequence would seem to step back).
     */
    reset(source) {
      counting = source;
      latencies.length = 0;
      sentAt.length = 0;
      received.fill(0);
      lastSequence.fill(-1);
      outOfOrder = 0;
    },
    close() {
      for (const s of sockets) s.close(1000);
    },
  };
}
