// The OPC UA machine simulator in a process of its own for `bench:opcua`: started with
// OPCUA_SIM_MACHINES machines, it answers `run` by changing their temperatures CHANGES times at
// RATE changes per second (spread over the machines, each a distinct value), and `close`.
import { OpcUaMachineSimulator } from '@plantgraph/opcua-simulator';

const machines = Array.from({ length: Number(process.env.OPCUA_SIM_MACHINES ?? 100) }, (_, i) => `m${i}`);
const sim = await OpcUaMachineSimulator.start({ machines });
process.send({ ready: sim.endpointUrl });

async function run({ changes, rate }) {
  const started = performance.now();
  let emitted = 0;
  let value = 0;
  // Every 5 ms, the changes due by then; bounded by `changes` and by time (rate × 3 the planned time).
  const deadline = started + (changes / rate) * 3000 + 10_000;
  while (emitted < changes && performance.now() < deadline) {
    const due = Math.min(changes, Math.ceil(((performance.now() - started) / 1000) * rate));
    for (; emitted < due; emitted++)
      sim.setTemperature(machines[emitted % machines.length], 20 + (++value % 100_000) / 1000);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { emitted, ms: performance.now() - started };
}

process.on('message', async (m) => {
  if (m.call === 'run') process.send({ id: m.id, result: await run(m.args[0]) });
  if (m.call === 'close') {
    await sim.stop();
    process.send({ id: m.id, result: null });
    process.exit(0);
  }
});
