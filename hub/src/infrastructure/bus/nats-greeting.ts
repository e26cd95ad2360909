import { connect as connectTcp } from 'node:net';

/**
 * What the server at a `nats://` address says first. A NATS server greets every connection with
 * `INFO {...}` before reading anything; Redis, PostgreSQL, HTTP servers and brokers wait for the
 * client, so after a short silence a `PING` line is written to make them talk: Redis answers
 * `+PONG`, an HTTP server `HTTP/1.1 400`. Only an answer that is not `INFO` is taken as proof of
 * another service; silence is not, because a NATS server on a busy machine may be slow to greet.
 */
export type Greeting = { kind: 'nats' } | { kind: 'other'; said: string } | { kind: 'unknown' };

const NUDGE_AFTER_MS = 300;

/** Listens for the greeting of one server for at most `withinMs` (the socket is always closed). */
export function greetingOf(server: string, withinMs: number): Promise<Greeting> {
  let url: URL;
  try {
    url = new URL(server.trim());
  } catch {
    return Promise.resolve({ kind: 'unknown' });
  }
  // A `tls://` server's first bytes depend on its TLS settings (handshake first or not): not judged.
  if (url.protocol !== 'nats:') return Promise.resolve({ kind: 'unknown' });
  return new Promise((resolve) => {
    const socket = connectTcp({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 4222) });
    let heard = '';
    const done = (greeting: Greeting) => {
      clearTimeout(nudge);
      clearTimeout(limit);
      socket.destroy();
      resolve(greeting);
    };
    const nudge = setTimeout(() => socket.write('PING\r\n', () => {}), NUDGE_AFTER_MS);
    const limit = setTimeout(() => done({ kind: 'unknown' }), withinMs);
    socket.on('data', (chunk: Buffer) => {
      heard += chunk.toString('latin1');
      if (heard.length < 5 && !heard.includes('\n')) return;
      done(/^INFO[ \t]/.test(heard) ? { kind: 'nats' } : { kind: 'other', said: printable(heard) });
    });
    // Refused, reset or closed without a word: the NATS client says what it finds.
    socket.on('error', () => done({ kind: 'unknown' }));
    socket.on('close', () => done({ kind: 'unknown' }));
  });
}

/** The first line of an answer, short and printable, for the message. */
function printable(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}
