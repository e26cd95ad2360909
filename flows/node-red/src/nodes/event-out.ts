/** `plantgraph-event-out`: publishes msg.payload as a flow event about an equipment path. */
import { errorMessage, hubConnection, short, type Node, type NodeAPI, type NodeConfig } from './red.js';

interface EventOutNodeConfig extends NodeConfig {
  hub: string;
  eventType?: string;
  path?: string;
}

// The hub's rule for flow event types: PascalCase, e.g. ScrapRateHigh.
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,63}$/;

export = function register(RED: NodeAPI): void {
  function EventOutNode(this: Node, config: EventOutNodeConfig) {
    RED.nodes.createNode(this, config);
    let published = 0;

    this.on('input', async (msg, send, done) => {
      try {
        const type = config.eventType?.trim() || (typeof msg.eventType === 'string' ? msg.eventType : '');
        const path = config.path?.trim() || (typeof msg.path === 'string' ? msg.path : '');
        if (!EVENT_TYPE.test(type))
          throw new Error(
            `event type must be a PascalCase name like ScrapRateHigh, from the node or msg.eventType (got "${type}")`,
          );
        if (!path) throw new Error('no equipment path: set Path in the node or send msg.path');
        // The hub takes an object; a plain value travels as { value }.
        const data =
          msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload)
            ? (msg.payload as Record<string, unknown>)
            : { value: msg.payload ?? null };
        await hubConnection(RED, config.hub).publishEvent(type, path, data);
        published++;
        this.status({ fill: 'green', shape: 'dot', text: `${published} sent, last ${type}` });
        send(msg);
        done();
      } catch (err) {
        this.status({ fill: 'red', shape: 'ring', text: short(errorMessage(err)) });
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  RED.nodes.registerType('plantgraph-event-out', EventOutNode);
};
