// Publishes machine signals to JetStream from its own process, as a fast equipment gateway would:
// asynchronous publishes, each confirmed by JetStream, with up to WINDOW confirmations outstanding.
// The confirmations come back on one inbox subscription of this process (rather than one request,
// promise and timer per publish, as `js.publish` does), so one process sends tens of thousands a second.
// Usage: node publisher.mjs <natsUrl> <namespace> <machines> <total> <publishers> <index> <ratePerSecond|max> <source>
// It prints `ready` once connected and starts at the first line on its stdin; its figures are its last line.
// The bench runs <publishers> of these side by side; this one publishes the sequences i < total with
// i % publishers = index (at rate / publishers), so with machines a multiple of publishers each
// machine is fed by one process, in order.
import { createInbox, headers } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@plantgraph/hub';

const [natsUrl, namespace, machinesArg, totalArg, publishersArg, indexArg, rate, source] = process.argv.slice(2);
const subjects = new Subjects(namespace);
const nc = await connect({ servers: natsUrl, name: 'bench-publisher' });
const machines = Number(machinesArg);
const total = Number(totalArg);
const publishers = Number(publishersArg);
const index = Number(indexArg);
const perSecond = rate === 'max' ? Infinity : Number(rate) / publishers;
const WINDOW = Number(process.env.BENCH_PUBLISH_WINDOW ?? 4000);
// At a set rate, how long a publisher sleeps at least once it is ahead: 0 (default) sends each signal
// when it falls due (a timer per millisecond or so, one or two signals per write, as separate
// gateways would); more sends each tick's signals together (one write, as one busy gateway would).
const TICK_MS = Number(process.env.BENCH_PUBLISH_TICK_MS ?? 0);
const machineSubjects = Array.from({ length: machines }, (_, m) =>
  subjects.equipmentSignal('state', `bench/site/area/line/m${m}`),
);
const inbox = createInbox();
let outstanding = 0;
/** When each publish was sent (by its index here), for the JetStream confirmation's round trip. */
const sentAt = new Float64Array(Math.ceil(Number(totalArg) / Number(publishersArg)) + 1);
const ackMs = [];
let failed = null;
let room = null;
const wakePublisher = () => {
  const r = room;
  room = null;
  r?.();
};
nc.subscribe(`${inbox}.>`, {
  callback: (err, msg) => {
    outstanding--;
    const n = Number(msg?.subject.slice(inbox.length + 1));
    if (n >= 0) ackMs.push(performance.now() - sentAt[n]);
    // An empty reply is a status (e.g. 503: no stream captures the subject).
    const ack = err || !msg.data.length ? null : msg.json();
    if (!ack || ack.error)
      failed = err ?? new Error(`JetStream refused a signal: ${JSON.stringify(ack?.error ?? 'no stream')}`);
    if (outstanding < WINDOW / 2 || outstanding === 0) wakePublisher();
  },
});
// Connected and subscribed: say so, and send nothing until the bench says go on stdin, so that
// starting the publisher processes (about a second of CPU each) is not inside what the bench measures.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const started = performance.now();
let published = 0;
for (let i = index; i < total && !failed; i += publishers) {
  published++;
  if (perSecond !== Infinity) {
    const due = started + (published / perSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, Math.max(wait, TICK_MS)));
  }
  // Each machine alternates between Running and Idle, so every signal is a change.
  const state = Math.floor(i / machines) % 2 ? 'Running' : 'Idle';
  const body = `{"state":"${state}","source":"${source}","sequence":${i},"at":"${new Date().toISOString()}"}`;
  const h = headers();
  h.set('Nats-Msg-Id', `${source}:${i}`);
  outstanding++;
  sentAt[published] = performance.now();
  nc.publish(machineSubjects[i % machines], body, { reply: `${inbox}.${published}`, headers: h });
  if (outstanding >= WINDOW) await new Promise((r) => (room = r));
}
const deadline = Date.now() + 60_000;
while (outstanding > 0 && !failed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
if (failed) throw failed;
if (outstanding > 0) throw new Error(`${outstanding} publishes were not confirmed within 60 s.`);
const seconds = (performance.now() - started) / 1000;
ackMs.sort((a, b) => a - b);
const ack = (p) => Number((ackMs[Math.min(ackMs.length - 1, Math.floor(p * ackMs.length))] ?? NaN).toFixed(1));
process.stdout.write(`${JSON.stringify({ published, seconds, ackP50: ack(0.5), ackP99: ack(0.99) })}\n`);
await nc.close();
