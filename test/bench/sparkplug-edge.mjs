// The benchmark's edge node, in a process of its own (as a real one would be): a Sparkplug B node with
// devices of `metrics` Double metrics each, born once the bench's host says online; on
// `{ publish: n }` it publishes n DDATA messages, each changing every metric of the next device.
import { DataType } from '@plantgraph/connector-sparkplug';
import { SparkplugEdgeNode } from '@plantgraph/sparkplug-simulator';

const { brokerUrl, group, hostId, devices, metrics } = JSON.parse(process.argv[2]);
const node = new SparkplugEdgeNode({
  brokerUrl,
  group,
  node: 'bench',
  primaryHostId: hostId,
  devices: Object.fromEntries(
    devices.map((d) => [
      d,
      Array.from({ length: metrics }, (_, i) => ({ name: `v${i}`, datatype: DataType.Double, value: 0 })),
    ]),
  ),
});
await node.start();
for (let i = 0; !node.born && i < 600; i++) await new Promise((r) => setTimeout(r, 50));
if (!node.born) throw new Error('the edge node was not born within 30 s (no STATE online from the host)');
process.send({ born: true });
let step = 0;
process.on('message', async (m) => {
  if (m.publish) {
    for (let i = 0; i < m.publish; i++) {
      step++;
      const device = devices[step % devices.length];
      const values = {};
      for (let k = 0; k < metrics; k++) values[`v${k}`] = step + k / 1000;
      node.update(device, values);
    }
    process.send({ published: m.publish });
  }
  if (m.close) {
    await node.stop();
    process.exit(0);
  }
});
