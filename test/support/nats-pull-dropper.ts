import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a nats-server that can lose JetStream pull requests, as a server that
 * forgets one does (seen with nats-server 2.9): the client's `PUB $JS.API.CONSUMER.MSG.NEXT.…` is
 * dropped, so the server never answers it — no messages, no heartbeats, no timeout. Everything else
 * passes unchanged in both directions. Reads the client side of the NATS protocol: one line per
 * operation, and `PUB`/`HPUB` followed by a payload of the size the line gives.
 */
export interface NatsPullDropper {
  /** `nats://127.0.0.1:<port>` of the proxy. */
  url: string;
  /** Drops the next `count` pull requests; resolves once the last of them is dropped. */
  dropPulls(count: number): Promise<void>;
  close(): Promise<void>;
}

const PULL_REQUEST = '$JS.API.CONSUMER.MSG.NEXT.';

export async function startNatsPullDropper(upstreamUrl: string): Promise<NatsPullDropper> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  let toDrop = 0;
  let dropped: (() => void) | null = null;

  /** What of the client's bytes goes on to the server: all but the pull requests being dropped. */
  const clientReader = () => {
    let buffered = Buffer.alloc(0);
    let payloadLeft = 0;
    let dropping = false;
    return (chunk: Buffer): Buffer => {
      buffered = Buffer.concat([buffered, chunk]);
      const out: Buffer[] = [];
      for (;;) {
        if (payloadLeft > 0) {
          const take = Math.min(payloadLeft, buffered.length);
          if (!dropping) out.push(buffered.subarray(0, take));
          buffered = buffered.subarray(take);
          payloadLeft -= take;
          if (payloadLeft > 0) break;
          continue;
        }
        const end = buffered.indexOf('\r\n');
        if (end < 0) break;
        const line = buffered.subarray(0, end + 2);
        buffered = buffered.subarray(end + 2);
        const parts = line.toString('latin1').trim().split(/\s+/);
        const op = parts[0]?.toUpperCase();
        if (op === 'PUB' || op === 'HPUB') {
          payloadLeft = Number(parts.at(-1)) + 2; // the payload and its CRLF
          dropping = toDrop > 0 && (parts[1] ?? '').startsWith(PULL_REQUEST);
          if (dropping && --toDrop === 0) dropped?.();
        } else dropping = false;
        if (!dropping) out.push(line);
      }
      return Buffer.concat(out);
    };
  };

  const server = createServer((client) => {
    const toServer = createConnection({ host: upstream.hostname, port: Number(upstream.port || 4222) });
    sockets.add(client).add(toServer);
    const read = clientReader();
    client.on('data', (chunk) => {
      const forward = read(chunk);
      if (forward.length) toServer.write(forward);
    });
    toServer.pipe(client);
    const end = () => {
      client.destroy();
      toServer.destroy();
      sockets.delete(client);
      sockets.delete(toServer);
    };
    client.on('close', end).on('error', end);
    toServer.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    dropPulls: (count) =>
      new Promise<void>((resolve) => {
        toDrop = count;
        dropped = resolve;
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
