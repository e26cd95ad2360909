// The relay's publish path on its own (ADR 0063): one hub's NatsBus relays BENCH_EVENTS (100,000)
// state-change events in rounds of 1,000 while a feed-like inbox subscribes to `<ns>.event.>`, and
// prints the process's and the NATS server's CPU per event. Modes (argument):
//   echo         `publish` per event, the inbox on the same connection: main's path before ADR 0063
//   events-echo  `publishEvents`, the inbox on the other connection: the publish changes alone
//   noecho       `publishEvents`, the inbox `subscribeExceptOwnEvents`: the hub's path now
// BENCH_NATS_PID names the NATS server to read (a private one, so others' traffic is not counted);
// PLANTGRAPH_TEST_NATS_URL its address.
import { readFileSync } from 'node:fs';
import { NatsBus, Subjects } from '../../hub/dist/index.js';

const mode = process.argv[2] ?? 'noecho';
if (!['echo', 'events-echo', 'noecho'].includes(mode)) throw new Error(`unknown mode ${mode}`);
const total = Number(process.env.BENCH_EVENTS ?? 100_000);
const url = process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsPid = process.env.BENCH_NATS_PID;
const natsTicks = () => {
  if (!natsPid) return 0;
  const fields = readFileSync(`/proc/${natsPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

const ns = `echo${process.pid}`;
const bus = await NatsBus.connect(url, new Subjects(ns));
const pattern = [`${ns}.event.>`];
const inbox =
  mode === 'noecho'
    ? bus.subscribeExceptOwnEvents(pattern, { limit: 10 * total })
    : bus.subscribe(pattern, { limit: 10 * total });
// The subscription is at the server before the first publish: another connection's may overtake it.
await bus.checkReady();
let received = 0;
const reading = (async () => {
  // As the feed: each message's `seq` looked at, then dropped.
  for await (const m of inbox) if (typeof m.data.seq === 'number') received++;
})();

const event = (seq) => ({
  type: 'EquipmentStateChanged',
  path: `acme.area.line-${seq % 10}.m-${seq % 100}`,
  state: 'Running',
  previousState: 'Down',
  reason: null,
  at: new Date().toISOString(),
  seq,
  cursor: Buffer.from(`ev:${seq}`).toString('base64url'),
});
const natsBefore = natsTicks();
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let round = 0; round < total / 1000; round++) {
  const events = Array.from({ length: 1000 }, (_, i) => ({
    subject: `${ns}.event.equipment_state.changed.acme.m${i % 100}`,
    data: event(round * 1000 + i + 1),
    id: crypto.randomUUID(),
  }));
  if (mode === 'echo') await Promise.all(events.map((e) => bus.publish(e.subject, e.data, e.id)));
  else await bus.publishEvents(events);
}
const expected = mode === 'noecho' ? 0 : total;
for (let wait = 0; received < expected && wait < 2000; wait++) await new Promise((r) => setTimeout(r, 5));
const cpu = process.cpuUsage(cpuBefore);
const nats = ((natsTicks() - natsBefore) * 1e6) / 100 / total;
console.log(
  `${mode}: ${total} events in ${(performance.now() - started).toFixed(0)} ms; ` +
    `hub ${((cpu.user + cpu.system) / total).toFixed(2)} µs per event` +
    (natsPid ? `, NATS ${nats.toFixed(2)} µs per event` : '') +
    `; the inbox received ${received} (expected ${expected})`,
);
inbox.close();
await reading;
await bus.close();
