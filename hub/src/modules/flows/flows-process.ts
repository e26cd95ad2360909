/**
 * The hub's side of the flows process (`child-main.ts`): starts it with a scrubbed environment and
 * a memory cap, hands it a fresh credential over IPC, checks a heartbeat, and starts it again with
 * back-off when it dies or stops answering. The lease stays with the hub, so a restart keeps it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FlowsProcessSettings } from '../../config.js';
import {
  CHILD_CALLS,
  type FlowsChildStart,
  type FlowsChildStarted,
  HUB_CALLS,
  type LogLevel,
} from './child-protocol.js';
import { hiddenEnvironment } from './flow-policy.js';
import { type Handlers, IpcPeer } from './ipc.js';

const CHILD_MAIN = fileURLToPath(new URL('./child-main.js', import.meta.url));
type Log = Pick<Console, 'log' | 'warn' | 'error'>;

export interface FlowsProcessOptions {
  settings: FlowsProcessSettings;
  /** What each start tells the child, with the credential and the proxy secret minted for it. */
  startFor(fresh: { credential: string; proxySecret: string }): Omit<FlowsChildStart, 'credential' | 'proxySecret'>;
  /** Mints the child's credential for one start; `revoke` when that child has ended. */
  mintCredential(): { token: string; revoke(): void };
  /** The calls the child may make (storage, editor auth); `log` is added here. */
  handlers: Handlers;
  log: Log;
}

/** Where the proxy reaches the running child: its loopback port and the secret it wants. */
export interface FlowsTarget {
  port: number;
  secret: string;
}

/**
 * The child's environment: the hub's, less its settings and secrets (database, bus, Redis,
 * `PLANTGRAPH_*`, anything named like a secret) and `NODE_OPTIONS` (which could load code).
 * Variables flows commonly read (broker hosts, `PATH`, `TZ`) stay.
 */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const hidden = new Set([...hiddenEnvironment(env), 'NODE_OPTIONS', 'NODE_PATH']);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !hidden.has(name)));
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** A child that ran this long without trouble starts the back-off over. */
const HEALTHY_AFTER_MS = 60_000;

export class FlowsProcess {
  #child: ChildProcess | null = null;
  #peer: IpcPeer | null = null;
  #target: FlowsTarget | null = null;
  #closing = false;
  #failures = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  /** Child starts so far (the first included). */
  starts = 0;

  constructor(private readonly options: FlowsProcessOptions) {}

  /** The running child's port and proxy secret; null while it (re)starts. */
  get target(): FlowsTarget | null {
    return this.#target;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Starts the first child; rejects when it cannot start (the hub then fails to start, saying why). */
  async start(): Promise<void> {
    await this.#spawn();
  }

  /** Calls the running child; fails when none runs (the next start takes the current state anyway). */
  call<T>(method: string, args: unknown[] = [], timeoutMs = 30_000): Promise<T> {
    if (!this.#peer || !this.#target) return Promise.reject(new Error('the flows process is restarting'));
    return this.#peer.call<T>(method, args, timeoutMs);
  }

  /** Stops the child (Node-RED closes its flows) and does not start another. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#peer?.call(CHILD_CALLS.stop, [], 5000).catch(() => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async #spawn(): Promise<void> {
    const { settings, log } = this.options;
    const credential = this.options.mintCredential();
    const proxySecret = randomBytes(24).toString('base64url');
    const child = fork(CHILD_MAIN, [], {
      env: childEnvironment(process.env),
      execArgv: [`--max-old-space-size=${settings.memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    this.starts++;
    const peer = new IpcPeer(child, {
      ...this.options.handlers,
      [HUB_CALLS.log]: (level: LogLevel, text: string) =>
        level === 'error' ? log.error(text) : level === 'warn' ? log.warn(text) : log.log(text),
    });
    this.#peer = peer;
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) log.warn(`[flows] process: ${line}`);
      });
    let heartbeat: NodeJS.Timeout | null = null;
    let readyAt = 0;
    child.once('exit', (code, signal) => {
      if (heartbeat) clearInterval(heartbeat);
      peer.close();
      credential.revoke();
      if (this.#child === child) {
        this.#child = null;
        this.#peer = null;
        this.#target = null;
      }
      if (this.#closing) return;
      this.#failures = readyAt && Date.now() - readyAt > HEALTHY_AFTER_MS ? 0 : this.#failures + 1;
      const wait = Math.min(BACKOFF_FIRST_MS * 2 ** (this.#failures - 1), BACKOFF_MAX_MS);
      log.error(
        `[flows] the flows process (pid ${child.pid}) ended (${signal ?? `exit code ${code}`}); starting it again in ${wait} ms`,
      );
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null;
        if (!this.#closing)
          this.#spawn().catch((err: Error) => log.error(`[flows] restarting the flows process failed: ${err.message}`));
      }, wait);
    });

    try {
      const start = { ...this.options.startFor({ credential: credential.token, proxySecret }) };
      const answer = await peer.call<FlowsChildStarted>(
        CHILD_CALLS.start,
        [{ ...start, credential: credential.token, proxySecret }],
        settings.startTimeoutMs,
      );
      readyAt = Date.now();
      this.#target = { port: answer.port, secret: proxySecret };
      log.log(`[flows] flows process ${child.pid} serving plant "${start.plant}" on 127.0.0.1:${answer.port}`);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`the flows process did not start: ${(err as Error).message}`);
    }

    // A child that does not answer (a flow keeping its event loop busy) is stopped and started again.
    let lastAnswer = Date.now();
    heartbeat = setInterval(() => {
      if (Date.now() - lastAnswer > settings.heartbeatTimeoutMs) {
        if (heartbeat) clearInterval(heartbeat);
        log.error(
          `[flows] the flows process (pid ${child.pid}) did not answer for ${settings.heartbeatTimeoutMs} ms (a flow keeps it busy?): stopping it`,
        );
        child.kill('SIGKILL');
        return;
      }
      peer.call(CHILD_CALLS.ping, [], settings.heartbeatTimeoutMs).then(
        () => (lastAnswer = Date.now()),
        () => {},
      );
    }, settings.heartbeatIntervalMs);
    heartbeat.unref();
  }
}
