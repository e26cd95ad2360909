// Publishes machine signals to JetStream from its own process, as equipment gateways would.
// Usage: node publisher.mjs <natsUrl> <namespace> <machines> <events> <ratePerSecond|max> <source>
import { NatsBus, Subjects } from '@plantgraph/hub';

const [natsUrl, namespace, machines, events, rate, source] = process.argv.slice(2);
const bus = await NatsBus.connect(natsUrl, new Subjects(namespace), 'bench-publisher');
const total = Number(events);
const perSecond = rate === 'max' ? Infinity : Number(rate);
const window = 500; // publishes in flight
const started = performance.now();
let inFlight = [];
for (let i = 1; i <= total; i++) {
  if (perSecond !== Infinity) {
    const due = started + (i / perSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }
  const machine = `bench/site/area/line/m${i % Number(machines)}`;
  // Each machine alternates between Running and Idle, so every signal is a change.
  const body = {
    state: Math.floor(i / Number(machines)) % 2 ? 'Running' : 'Idle',
    source,
    sequence: i,
    at: new Date().toISOString(),
  };
  inFlight.push(
    bus.publishSignal(
      bus.subjects.equipmentSignal('state', machine),
      Buffer.from(JSON.stringify(body)),
      `${source}:${i}`,
    ),
  );
  if (inFlight.length >= window) {
    await Promise.all(inFlight);
    inFlight = [];
  }
}
await Promise.all(inFlight);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ published: total, seconds })}\n`);
await bus.close();
