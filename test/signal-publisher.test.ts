import { describe, expect, it } from 'vitest';
import type { Msg, MsgCallback, NatsConnection } from '@nats-io/nats-core';
import { SignalPublisher } from '@plantgraph/hub';

/** A connection that records publishes and lets the test answer them as JetStream would. */
function fakeConnection() {
  const sent: { subject: string; reply: string; id: string | undefined }[] = [];
  let replies: MsgCallback<Msg> | null = null;
  const nc = {
    subscribe: (_subject: string, opts: { callback: MsgCallback<Msg> }) => {
      replies = opts.callback;
      return { unsubscribe() {} };
    },
    publish: (subject: string, _payload: Uint8Array, opts: { reply: string; headers: { get(k: string): string } }) =>
      sent.push({ subject, reply: opts.reply, id: opts.headers.get('Nats-Msg-Id') }),
  } as unknown as NatsConnection;
  const answer = (reply: string, body: string) => {
    const data = new TextEncoder().encode(body);
    replies!(null, { subject: reply, data, headers: undefined, string: () => body } as unknown as Msg);
  };
  return { nc, sent, answer };
}

const batch = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ subject: 'pg.signal.x', payload: new Uint8Array(), id: `s:${from + i}` }));
const settled = async (p: Promise<void>) => {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    (e: Error) => (state = `rejected: ${e.message}`),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('the signal publisher', () => {
  it('sends the whole batch at once and answers only when every signal is acknowledged', async () => {
    const { nc, sent, answer } = fakeConnection();
    const publisher = new SignalPublisher(nc);
    const publishing = publisher.publish(batch(3));
    expect(sent.map((m) => m.id)).toEqual(['s:0', 's:1', 's:2']);
    expect(new Set(sent.map((m) => m.reply)).size).toBe(3);
    answer(sent[0]!.reply, '{"stream":"S","seq":1}');
    answer(sent[2]!.reply, '{"stream":"S","seq":3,"duplicate":true}');
    expect(await settled(publishing)).toBe('pending');
    answer(sent[1]!.reply, '{"stream":"S","seq":2}');
    expect(await settled(publishing)).toBe('resolved');
  });

  it('fails the whole batch on an error answer, and only that batch', async () => {
    const { nc, sent, answer } = fakeConnection();
    const publisher = new SignalPublisher(nc);
    const first = publisher.publish(batch(2));
    const second = publisher.publish(batch(1, 2));
    answer(sent[1]!.reply, '{"error":{"code":503,"description":"insufficient resources"}}');
    expect(await settled(first)).toMatch(/rejected: JetStream refused a signal: insufficient resources/);
    answer(sent[0]!.reply, '{"stream":"S","seq":1}'); // late, for a batch that failed: ignored
    expect(await settled(second)).toBe('pending');
    answer(sent[2]!.reply, '{"stream":"S","seq":2}');
    expect(await settled(second)).toBe('resolved');
  });
});
