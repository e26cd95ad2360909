import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** What a shared result gives a frame: its text, and the same as UTF-8 bytes encoded once. */
export interface FramePayload {
  readonly text: string;
  readonly bytes: Buffer;
}

/** A `next` frame waiting for its socket's write: the operation's prefix and the shared payload. */
interface Frame {
  prefix: Buffer;
  payload: FramePayload;
}

interface Pending {
  frames: Frame[];
  /** The WebSocket bytes of `frames`, headers included. */
  bytes: number;
}

type Internals = WebSocket & {
  _socket?: Duplex;
  /** ws's frame writer: it queues frames only while it compresses or reads a Blob (neither here). */
  _sender?: { _queue?: unknown[]; _state?: number };
};

/** Past this many bytes a socket's frames are written at once rather than at the end of the tick. */
const MAX_PENDING_BYTES = 64 * 1024;

/**
 * Subscription frames for each socket, gathered during a turn of the event loop and written as one
 * buffer with one `write` at its end (ADR 0065). At five thousand events a second each socket takes
 * a few to a few hundred frames per turn: one write of them all costs the stream machinery and the
 * system call once, where a write per frame (even into a corked socket) cost them per frame, and a
 * buffer per frame for the collector. Frames keep their order with what ws writes itself: before ws
 * sends a message or closes (graphql-ws's `complete`, `error`, its own `next` for queries), the
 * socket's gathered frames are written first (`watch` wraps `send` and `close`).
 */
export class SocketFrames {
  readonly #pending = new Map<WebSocket, Pending>();
  readonly #watched = new WeakSet<WebSocket>();
  #scheduled = false;

  /** @param written Called after a socket's frames were handed to it (to check its backlog). */
  constructor(private readonly written: (socket: WebSocket) => void) {}

  /** Queues a `next` frame of `prefix`, the payload and a closing brace for `socket`. */
  add(socket: WebSocket, prefix: Buffer, payload: FramePayload): void {
    if (socket.readyState !== socket.OPEN) return;
    let pending = this.#pending.get(socket);
    if (!pending) {
      pending = { frames: [], bytes: 0 };
      this.#pending.set(socket, pending);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flushAll());
      }
    }
    pending.frames.push({ prefix, payload });
    pending.bytes += frameLength(prefix.length + payload.bytes.length + 1);
    if (pending.bytes >= MAX_PENDING_BYTES) this.flush(socket);
  }

  /** Writes the frames gathered for `socket` now. */
  flush(socket: WebSocket): void {
    const pending = this.#pending.get(socket);
    if (!pending) return;
    this.#pending.delete(socket);
    if (socket.readyState !== socket.OPEN) return; // closing: nothing may follow its close frame
    const raw = writableDirectly(socket);
    if (raw) raw.write(framesBuffer(pending));
    else for (const { prefix, payload } of pending.frames) socket.send(`${prefix.toString()}${payload.text}}`);
    this.written(socket);
  }

  #flushAll(): void {
    this.#scheduled = false;
    for (const socket of [...this.#pending.keys()]) this.flush(socket);
  }

  /** What ws writes for this socket itself goes after the frames gathered before it: before `add`. */
  watch(socket: WebSocket): void {
    if (this.#watched.has(socket)) return;
    this.#watched.add(socket);
    const { send, close } = socket;
    socket.send = ((...args: Parameters<WebSocket['send']>) => {
      this.flush(socket);
      return send.apply(socket, args);
    }) as WebSocket['send'];
    socket.close = (...args: Parameters<WebSocket['close']>) => {
      this.flush(socket);
      return close.apply(socket, args);
    };
    socket.once('close', () => this.#pending.delete(socket));
  }
}

/**
 * The socket under a WebSocket when frames may be written to it directly: ws has nothing of its own
 * waiting (no compression, no Blob being read), so a frame written now goes out after everything ws
 * wrote before it and before everything after it. Otherwise null, and the caller goes through ws.
 */
function writableDirectly(socket: WebSocket): Duplex | null {
  const { _socket: raw, _sender: sender } = socket as Internals;
  if (!raw || !sender || sender._queue?.length !== 0 || (sender._state ?? 0) !== 0) return null;
  return raw;
}

/** The bytes of a frame whose payload is `length` bytes long, its header included. */
function frameLength(length: number): number {
  return (length < 126 ? 2 : length < 65_536 ? 4 : 10) + length;
}

function framesBuffer({ frames, bytes }: Pending): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const { prefix, payload } of frames) at = writeTextFrame(out, at, prefix, payload.bytes);
  return out;
}

/** An unmasked, unfragmented WebSocket text frame (server to client, RFC 6455 §5.2) of `prefix`, `body` and `}`. */
export function textFrame(prefix: Buffer, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(frameLength(prefix.length + body.length + 1));
  writeTextFrame(frame, 0, prefix, body);
  return frame;
}

/** Writes the frame into `out` at `at`; returns where the next one starts. */
function writeTextFrame(out: Buffer, at: number, prefix: Buffer, body: Buffer): number {
  const length = prefix.length + body.length + 1;
  out[at] = 0x81; // FIN, text
  if (length < 126) {
    out[at + 1] = length;
    at += 2;
  } else if (length < 65_536) {
    out[at + 1] = 126;
    out.writeUInt16BE(length, at + 2);
    at += 4;
  } else {
    out[at + 1] = 127;
    out.writeBigUInt64BE(BigInt(length), at + 2);
    at += 10;
  }
  // `set` rather than `copy`: for the hundred-odd bytes of a frame, Buffer's copy costs more than the copying.
  out.set(prefix, at);
  at += prefix.length;
  out.set(body, at);
  at += body.length;
  out[at] = 0x7d; // }
  return at + 1;
}
