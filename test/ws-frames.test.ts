import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SocketFrames, textFrame } from '@plantgraph/hub/dist/graphql/socket-frames.js';

// Subscription results are written as WebSocket frames built by the hub itself (ADR 0056): each
// length class of RFC 6455's header (7-bit, 16-bit, 64-bit) must read back as the text it carries.
describe('subscription frames written by the hub', () => {
  let server: WebSocketServer;
  let url: string;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (s) => sockets.push(s));
    await new Promise((r) => server.once('listening', r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await new Promise((r) => server.close(r));
  });

  // Frame lengths at the edges of each class; the last one in two-byte characters.
  it.each([
    [23, 'a'],
    [125, 'a'],
    [126, 'a'],
    [65_535, 'a'],
    [65_536, 'a'],
    [200_001, 'é'],
  ])('a frame of %i bytes reads back whole, between frames ws wrote itself', async (length, letter) => {
    const client = new WebSocket(url);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        received.push(data.toString());
        if (received.length === 3) resolve();
      }),
    );
    await new Promise((r) => client.once('open', r));
    await expect.poll(() => sockets.length).toBeGreaterThan(0);
    const server = sockets.at(-1)!;
    const prefix = Buffer.from('{"id":"7","payload":'); // 20 bytes, and the closing brace
    const body = `"${letter.repeat((length - 23) / Buffer.byteLength(letter))}"`;
    expect(prefix.length + Buffer.byteLength(body) + 1).toBe(length);
    server.send('before');
    (server as WebSocket & { _socket: Duplex })._socket.write(textFrame(prefix, Buffer.from(body)));
    server.send('after');
    await all;
    expect(received).toEqual(['before', `{"id":"7","payload":${body}}`, 'after']);
    client.close();
  });

  const opened = async () => {
    const client = new WebSocket(url);
    const received: string[] = [];
    client.on('message', (data) => received.push(data.toString()));
    const count = sockets.length;
    await new Promise((r) => client.once('open', r));
    await expect.poll(() => sockets.length).toBeGreaterThan(count);
    return { client, received, server: sockets.at(-1)! };
  };
  const prefix = Buffer.from('{"id":"7","payload":');
  const payload = (text: string) => ({ text, bytes: Buffer.from(text) });

  it("writes a turn's frames together, after what ws sent before them and before what it sends next", async () => {
    const { client, received, server } = await opened();
    const written: WebSocket[] = [];
    const frames = new SocketFrames((socket) => written.push(socket));
    frames.watch(server);
    server.send('first');
    frames.add(server, prefix, payload('1'));
    frames.add(server, prefix, payload('"é"'));
    server.send('between'); // graphql-ws's own messages (a `complete`) come after the frames before them
    frames.add(server, prefix, payload('3'));
    frames.add(server, prefix, payload(`"${'a'.repeat(70_000)}"`)); // past the bound: written at once
    frames.add(server, prefix, payload('5'));
    expect(written).toHaveLength(2);
    await expect.poll(() => received.length).toBe(7);
    expect(written).toHaveLength(3); // the rest at the end of the turn, in one write
    expect(received.map((m) => m.slice(0, 30))).toEqual([
      'first',
      '{"id":"7","payload":1}',
      '{"id":"7","payload":"é"}',
      'between',
      '{"id":"7","payload":3}',
      '{"id":"7","payload":"aaaaaaaaa',
      '{"id":"7","payload":5}',
    ]);
    expect(received[5]).toBe(`{"id":"7","payload":"${'a'.repeat(70_000)}"}`);
    client.close();
  });

  it('writes the frames gathered before a close, and none after it', async () => {
    const { client, received, server } = await opened();
    const frames = new SocketFrames(() => {});
    frames.watch(server);
    frames.add(server, prefix, payload('1'));
    const closed = new Promise((r) => client.once('close', r));
    server.close(1000);
    frames.add(server, prefix, payload('2'));
    await closed;
    expect(received).toEqual(['{"id":"7","payload":1}']);
  });
});
