// The SAP simulator in a process of its own for `bench:connectors`, so its OData serialisation runs on
// its own event loop and is not counted against the hub. The bench drives it over the IPC channel:
// { id, call, args } in, { id, result } or { id, error } out; `ready` carries the simulator's URL.
import { SapSimulator } from '@plantgraph/sap-s4hana-simulator';

const sim = await SapSimulator.start(JSON.parse(process.env.SAP_SIMULATOR_OPTIONS ?? '{}'));
const calls = {
  seedOrders: (count, options) => sim.seedOrders(count, options).length,
  addMaterial: (spec) => sim.addMaterial(spec),
  liveConfirmations: () => sim.liveConfirmations(),
  counters: () => sim.counters,
  close: async () => {
    await sim.close();
    setImmediate(() => process.exit(0));
  },
};
process.on('message', async ({ id, call, args }) => {
  try {
    process.send({ id, result: (await calls[call](...args)) ?? null });
  } catch (err) {
    process.send({ id, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0)); // the bench is gone: so is its simulator
process.send({ ready: sim.url });
