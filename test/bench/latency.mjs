// The latency phase of `npm run bench`: graphql-ws subscribers (ten per connection, each on one
// machine) receive `equipmentStateChanged` while the publishers send at a steady rate; the latency
// of a delivery is its arrival minus the signal's `at` (set by the publisher when it sends).
// The subscribers speak the graphql-ws protocol over plain `ws` sockets (subscribers.mjs): the
// graphql-ws client's own per-message work took a quarter of a core at 50,000 deliveries/s on the
// same two cores as the hub. Every delivery is still counted, per subscriber and in order.
// Beside it: CPU per delivered message of the hub, PostgreSQL, NATS and this process (the 1,000
// WebSocket clients), and how long the hub takes to answer `/healthz` meanwhile (its event loop's
// delay, plus waiting for a core). Publishers, subscribers and hub all run on this one host.
import { loadavg } from 'node:os';
import { openSubscribers } from './subscribers.mjs';

const RATE = Number(process.env.BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
/** Seconds at the rate before the measured run: a hub's first seconds at a new rate are its slowest. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);

export async function measureLatency({ hubUrl, key, machines, storedOf, preparePublishers, log, meter }) {
  log(`latency: ${SUBSCRIBERS} graphql-ws subscribers (each on one machine), ${RATE} events/s for ${SECONDS} s`);
  const subscribers = await openSubscribers({ hubUrl, key, machines, count: SUBSCRIBERS });
  const { latencies, sentAt, errors } = subscribers;
  await new Promise((r) => setTimeout(r, 3000));
  if (WARMUP_SECONDS > 0) {
    // An even number of signals per machine: its state ends where the measured run's first one changes it.
    const warm = machines * 2 * Math.ceil((RATE * WARMUP_SECONDS) / (2 * machines));
    log(`latency: warming up with ${warm} signals at ${RATE}/s (not measured)`);
    await (await preparePublishers(warm, String(RATE), 'warm')).go();
    const expected = Math.floor((warm * SUBSCRIBERS) / machines);
    await untilDelivered(latencies, expected);
    if (latencies.length < expected)
      log(`latency: warm-up short: ${latencies.length} of ${expected} deliveries before nothing came for 5 s`);
    subscribers.reset('lat');
  }
  const before = await storedOf('lat');
  const total = RATE * SECONDS;
  const publishers = await preparePublishers(total, String(RATE), 'lat');
  const l0 = performance.now();
  await meter.start();
  const probe = probeHealth(hubUrl);
  const pub = await publishers.go();
  while ((await storedOf('lat')) < before + total && performance.now() - l0 < 300_000)
    await new Promise((r) => setTimeout(r, 250));
  const seconds = (performance.now() - l0) / 1000;
  const load = loadavg();
  // Then until every subscriber has every event of its machine (or nothing arrives for 5 s), so the
  // CPU per delivered message covers the whole fan-out.
  await untilDelivered(latencies, Math.floor((total * SUBSCRIBERS) / machines));
  const health = await probe.stop();
  const cpu = await meter.stop(Math.max(1, latencies.length));
  const bySecond = latencyBySecond(latencies, sentAt);
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN;
  if (errors.length) log(`subscriber errors: ${errors.length}, first: ${errors[0]}`);
  const { lost, outOfOrder } = subscribers.check(total);
  subscribers.close();
  return {
    total,
    rate: RATE,
    seconds,
    load,
    subscribers: SUBSCRIBERS,
    deliveries: latencies.length,
    p50: pct(50),
    p99: pct(99),
    ackP50: pub.ackP50,
    ackP99: pub.ackP99,
    errors: errors.length,
    lost,
    outOfOrder,
    cpu,
    health,
    bySecond,
  };
}

/**
 * The p99 of the deliveries of each second of publishing (by the signals' `at`): whether a high
 * p99 is the whole run queueing, its first seconds (the hub's code not yet optimised) or one stall.
 */
function latencyBySecond(latencies, sentAt) {
  if (!sentAt.length) return [];
  const start = Math.min(...sentAt.slice(0, 10_000));
  const seconds = [];
  latencies.forEach((ms, i) => {
    const s = Math.max(0, Math.floor((sentAt[i] - start) / 1000));
    if (!seconds[s]) seconds[s] = [];
    seconds[s].push(ms);
  });
  return seconds.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.min(list.length - 1, Math.floor(0.99 * list.length))];
  });
}

/** Until `expected` deliveries have arrived, or none for 5 s. */
async function untilDelivered(latencies, expected) {
  for (let seen = -1, idle = 0; latencies.length < expected && idle < 20; ) {
    idle = latencies.length === seen ? idle + 1 : 0;
    seen = latencies.length;
    await new Promise((r) => setTimeout(r, 250));
  }
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
