// The latency phase of `npm run bench`: graphql-ws subscribers (ten per connection, each on one
// machine) receive `equipmentStateChanged` while the publishers send at a steady rate; the latency
// of a delivery is its arrival minus the signal's `at` (set by the publisher when it sends).
import { createClient } from 'graphql-ws';
import { loadavg } from 'node:os';

const RATE = Number(process.env.BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);

export async function measureLatency({ hubUrl, key, machines, storedOf, publish, log }) {
  log(`latency: ${SUBSCRIBERS} graphql-ws subscribers (each on one machine), ${RATE} events/s for ${SECONDS} s`);
  const latencies = [];
  const errors = [];
  const clients = [];
  for (let s = 0; s < SUBSCRIBERS; s += 10) {
    const client = createClient({
      url: `${hubUrl.replace('http', 'ws')}/graphql`,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
    });
    clients.push(client);
    for (let k = s; k < Math.min(s + 10, SUBSCRIBERS); k++) {
      client.subscribe(
        { query: `subscription { equipmentStateChanged(scope: "bench/site/area/line/m${k % machines}") { at } }` },
        {
          next: (v) =>
            v.errors
              ? errors.push(v.errors[0].message)
              : latencies.push(Date.now() - new Date(v.data.equipmentStateChanged.at).getTime()),
          error: (e) => errors.push(String(e?.message ?? e?.reason ?? JSON.stringify(e))),
          complete: () => {},
        },
      );
    }
  }
  await new Promise((r) => setTimeout(r, 3000));
  const before = await storedOf('lat');
  const total = RATE * SECONDS;
  const l0 = performance.now();
  await publish(total, String(RATE), 'lat');
  while ((await storedOf('lat')) < before + total && performance.now() - l0 < 300_000)
    await new Promise((r) => setTimeout(r, 250));
  const seconds = (performance.now() - l0) / 1000;
  const load = loadavg();
  await new Promise((r) => setTimeout(r, 1000));
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN;
  if (errors.length) log(`subscriber errors: ${errors.length}, first: ${errors[0]}`);
  for (const c of clients) await c.dispose();
  return {
    total,
    rate: RATE,
    seconds,
    load,
    subscribers: SUBSCRIBERS,
    deliveries: latencies.length,
    p50: pct(50),
    p99: pct(99),
    errors: errors.length,
  };
}
