/**
 * `plantgraph-event-in`: live hub events at and below a scope (an equipment path or `*`),
 * optionally of some types only. Re-subscribes after errors with growing backoff (1 s … 30 s).
 */
import {
  errorMessage,
  hubConnection,
  short,
  StatusThrottle,
  tail,
  type Node,
  type NodeAPI,
  type NodeConfig,
} from './red.js';

interface EventInNodeConfig extends NodeConfig {
  hub: string;
  scope?: string;
  types?: string;
}

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

export = function register(RED: NodeAPI): void {
  function EventInNode(this: Node, config: EventInNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const scope = config.scope?.trim() || '*';
    const types = (config.types ?? '')
      .split(/[,\s]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    let unsubscribe: (() => void) | null = null;
    let retry: NodeJS.Timeout | null = null;
    let backoff = MIN_BACKOFF_MS;
    let received = 0;
    let closed = false;
    const status = new StatusThrottle(node);

    function subscribe() {
      retry = null;
      if (closed) return;
      try {
        const hub = hubConnection(RED, config.hub);
        let failed = false;
        let end: (() => void) | null = null;
        end = hub.subscribeEvents(
          scope,
          types,
          (event) => {
            backoff = MIN_BACKOFF_MS; // events flow again: the next failure starts over with a short wait
            received++;
            status.show({ fill: 'green', shape: 'dot', text: `${received} events, last ${event.type}` });
            node.send({ topic: event.subject, payload: event.data, eventType: event.type, path: event.path });
          },
          (err) => {
            if (failed || closed) return;
            failed = true;
            // Release the failed subscription (it may fail while still subscribing, before `end` is set).
            end?.();
            unsubscribe = null;
            scheduleRetry(err);
          },
        );
        if (failed) end();
        else {
          unsubscribe = end;
          status.now({ fill: 'green', shape: 'ring', text: `subscribed to ${tail(scope, 24)}` });
        }
      } catch (err) {
        scheduleRetry(err);
      }
    }

    function scheduleRetry(err: unknown) {
      if (closed) return;
      const wait = backoff;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      status.now({ fill: 'red', shape: 'ring', text: short(`retry in ${wait / 1000}s: ${errorMessage(err)}`) });
      node.warn(`event subscription to ${scope} failed, subscribing again in ${wait / 1000} s: ${errorMessage(err)}`);
      retry = setTimeout(subscribe, wait);
    }

    subscribe();

    node.on('close', (_removed, done) => {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      unsubscribe?.();
      unsubscribe = null;
      status.stop();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('plantgraph-event-in', EventInNode);
};
