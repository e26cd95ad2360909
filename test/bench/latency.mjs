// The latency phase of `npm run bench`: graphql-ws subscribers (ten per connection, each on one
// machine) receive `equipmentStateChanged` while the publishers send at a steady rate; the latency
// of a delivery is its arrival minus the signal's `at` (set by the publisher when it sends).
// Beside it: CPU per delivered message of the hub, PostgreSQL, NATS and this process (the 1,000
// WebSocket clients), and how long the hub takes to answer `/healthz` meanwhile (its event loop's
// delay, plus waiting for a core).
import { createClient } from 'graphql-ws';
import { loadavg } from 'node:os';

const RATE = Number(process.env.BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);

export async function measureLatency({ hubUrl, key, machines, storedOf, publish, log, meter }) {
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
  await meter.start();
  const probe = probeHealth(hubUrl);
  await publish(total, String(RATE), 'lat');
  while ((await storedOf('lat')) < before + total && performance.now() - l0 < 300_000)
    await new Promise((r) => setTimeout(r, 250));
  const seconds = (performance.now() - l0) / 1000;
  const load = loadavg();
  // Then until every subscriber has every event of its machine (or nothing arrives for 5 s), so the
  // CPU per delivered message covers the whole fan-out.
  const expected = Math.floor((total * SUBSCRIBERS) / machines);
  for (let seen = -1, idle = 0; latencies.length < expected && idle < 20; ) {
    idle = latencies.length === seen ? idle + 1 : 0;
    seen = latencies.length;
    await new Promise((r) => setTimeout(r, 250));
  }
  const health = await probe.stop();
  const cpu = await meter.stop(Math.max(1, latencies.length));
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
    cpu,
    health,
  };
}

/** `/healthz` every 50 ms, one at a time: the p50 and p99 of its round trip. */
function probeHealth(hubUrl) {
  const times = [];
  let stopped = false;
  const running = (async () => {
    for (let i = 0; !stopped && i < 20_000; i++) {
      const t0 = performance.now();
      await fetch(`${hubUrl}/healthz`).then((r) => r.arrayBuffer());
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      times.sort((a, b) => a - b);
      const at = (p) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN);
      return { p50: at(0.5), p99: at(0.99), samples: times.length };
    },
  };
}
