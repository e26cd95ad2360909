/**
 * The hub's side of the flows process (`child-main.ts`): starts it with a scrubbed environment and
 * a memory cap, hands it a fresh credential over IPC, checks a heartbeat, and replaces it with
 * back-off when it dies or stops answering. A spare, started with its flows stopped, waits to take
 * over at once. The lease stays with the hub, so a restart keeps it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setPriority } from 'node:os';
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
  /** What a start tells the child (the credential and the proxy secret are minted here). */
  startFor(): Omit<FlowsChildStart, 'credential' | 'proxySecret' | 'leader'>;
  /** Whether the flows run now (the lease): told to a spare as it takes over. */
  leader(): boolean;
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

const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** A child that ran this long without trouble starts the back-off over. */
const HEALTHY_AFTER_MS = 60_000;
/**
 * A started child's niceness: a flow that keeps its process busy gets the CPU the hub leaves, not
 * the other way round. Set once it has started, so that starts are not slowed.
 */
const RUNNING_NICENESS = 10;
/** The spare starts this long after a child took over: not while the hub (or a test) is busy starting. */
const SPARE_AFTER_MS = 3000;

/** A forked child: its IPC end, its credential, and its start (under way or done). */
interface Child {
  process: ChildProcess;
  peer: IpcPeer;
  credential: { token: string; revoke(): void };
  proxySecret: string;
  started: Promise<FlowsChildStarted>;
  /** A spare logs only its warnings and errors: its start would repeat the running child's lines. */
  quiet: boolean;
  /** Its start is done. */
  ready: boolean;
}

export class FlowsProcess {
  #active: Child | null = null;
  #target: FlowsTarget | null = null;
  #spare: Child | null = null;
  #closing = false;
  #failures = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #spareTimer: NodeJS.Timeout | null = null;
  /** Children that took over so far (the first included). */
  starts = 0;

  constructor(private readonly options: FlowsProcessOptions) {}

  /** The running child's port and proxy secret; null while it is replaced. */
  get target(): FlowsTarget | null {
    return this.#target;
  }

  get pid(): number | null {
    return this.#active?.process.pid ?? null;
  }

  /** Whether a started spare waits to take over (a few seconds after each takeover). */
  get spareReady(): boolean {
    return this.#spare?.ready === true && this.#spare.process.connected;
  }

  /** Starts the first child; rejects when it cannot start (the hub then fails to start, saying why). */
  async start(): Promise<void> {
    await this.#takeOver();
  }

  /** Calls the running child; fails when none runs (the next one takes the current state anyway). */
  call<T>(method: string, args: unknown[] = [], timeoutMs = 30_000): Promise<T> {
    if (!this.#active || !this.#target) return Promise.reject(new Error('the flows process is restarting'));
    return this.#active.peer.call<T>(method, args, timeoutMs);
  }

  /** Stops the child (Node-RED closes its flows) and the spare, and starts no other. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    if (this.#spareTimer) clearTimeout(this.#spareTimer);
    this.#spare?.process.kill('SIGKILL');
    const child = this.#active?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#active?.peer.call(CHILD_CALLS.stop, [], 5000).catch(() => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Forks a child and starts it: its flows running when `leader`, else stopped (a standby's, a spare). */
  #fork(leader: boolean, quiet: boolean): Child {
    const { settings, log } = this.options;
    const process_ = fork(CHILD_MAIN, [], {
      env: childEnvironment(process.env),
      execArgv: [`--max-old-space-size=${settings.memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const child = { process: process_, quiet, ready: false } as Child;
    child.peer = new IpcPeer(process_, {
      ...this.options.handlers,
      [HUB_CALLS.log]: (level: LogLevel, text: string) =>
        level === 'error' ? log.error(text) : level === 'warn' ? log.warn(text) : child.quiet || log.log(text),
    });
    for (const stream of [process_.stdout, process_.stderr])
      stream?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) log.warn(`[flows] process: ${line}`);
      });
    child.credential = this.options.mintCredential();
    child.proxySecret = randomBytes(24).toString('base64url');
    process_.once('exit', () => {
      child.peer.close();
      child.credential.revoke();
    });
    const start: FlowsChildStart = {
      ...this.options.startFor(),
      leader,
      credential: child.credential.token,
      proxySecret: child.proxySecret,
    };
    child.started = child.peer
      .call<FlowsChildStarted>(CHILD_CALLS.start, [start], settings.startTimeoutMs)
      .then((answer) => {
        try {
          if (process_.pid) setPriority(process_.pid, RUNNING_NICENESS);
        } catch (err) {
          log.warn(`[flows] cannot lower the flows process's priority: ${(err as Error).message}`);
        }
        child.ready = true;
        return answer;
      });
    child.started.catch(() => process_.kill('SIGKILL'));
    return child;
  }

  /** Starts a spare a little after a child took over, unless one waits; a spare that dies is simply gone. */
  #prepareSpare(): void {
    if (this.#spare || this.#closing || this.#spareTimer) return;
    this.#spareTimer = setTimeout(() => {
      this.#spareTimer = null;
      this.#startSpare();
    }, SPARE_AFTER_MS);
    this.#spareTimer.unref();
  }

  #startSpare(): void {
    if (this.#spare || this.#closing) return;
    const spare = this.#fork(false, true);
    this.#spare = spare;
    spare.process.once('exit', () => {
      if (this.#spare === spare) this.#spare = null;
    });
    spare.started.catch((err: Error) => this.options.log.warn(`[flows] the spare flows process: ${err.message}`));
  }

  /** The spare takes over (its flows loaded afresh, running if this replica leads), or a new child starts. */
  async #takeOver(): Promise<void> {
    const { settings, log } = this.options;
    const alive = (c: Child | null) =>
      !!c && c.process.connected && c.process.exitCode === null && !c.process.signalCode;
    const spare = alive(this.#spare) ? this.#spare : null;
    this.#spare = null;
    let leading = this.options.leader();
    const child = spare ?? this.#fork(leading, false);
    child.quiet = false;
    this.#active = child;
    this.starts++;
    let heartbeat: NodeJS.Timeout | null = null;
    let readyAt = 0;
    let ended = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      if (heartbeat) clearInterval(heartbeat);
      if (this.#active === child) {
        this.#active = null;
        this.#target = null;
      }
      if (this.#closing) return;
      this.#failures = readyAt && Date.now() - readyAt > HEALTHY_AFTER_MS ? 0 : this.#failures + 1;
      const wait = Math.min(BACKOFF_FIRST_MS * 2 ** (this.#failures - 1), BACKOFF_MAX_MS);
      log.error(
        `[flows] the flows process (pid ${child.process.pid}) ended (${signal ?? `exit code ${code}`}); ${this.#spare ? 'the spare takes over' : 'starting another'} in ${wait} ms`,
      );
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null;
        if (!this.#closing)
          this.#takeOver().catch((err: Error) =>
            log.error(`[flows] replacing the flows process failed: ${err.message}`),
          );
      }, wait);
    };
    child.process.once('exit', onExit);
    // A spare that ended just as it was taken: its exit is already past.
    if (child.process.exitCode !== null || child.process.signalCode)
      onExit(child.process.exitCode, child.process.signalCode);

    try {
      const { port } = await child.started;
      // A spare started with its flows stopped and as they were then: it loads them afresh.
      if (spare) {
        // Started before the hub listened, it may not know where the hub is.
        const { hubUrl } = this.options.startFor();
        if (hubUrl) await child.peer.call(CHILD_CALLS.hubAt, [hubUrl], settings.startTimeoutMs);
        leading = this.options.leader();
        await child.peer.call(CHILD_CALLS.activate, [leading], settings.startTimeoutMs);
      }
      readyAt = Date.now();
      this.#target = { port, secret: child.proxySecret };
      // The lease changed while the child started (its call then found no child): tell it now.
      if (this.options.leader() !== leading)
        await child.peer.call(CHILD_CALLS.leader, [this.options.leader()], settings.startTimeoutMs);
      log.log(
        `[flows] flows process ${child.process.pid} serving on 127.0.0.1:${port}${spare ? ' (was the spare)' : ''}`,
      );
    } catch (err) {
      child.process.kill('SIGKILL');
      throw new Error(`the flows process did not start: ${(err as Error).message}`);
    }
    this.#prepareSpare();

    // A child that does not answer (a flow keeping its event loop busy) is stopped and replaced.
    let lastAnswer = Date.now();
    heartbeat = setInterval(() => {
      if (Date.now() - lastAnswer > settings.heartbeatTimeoutMs) {
        if (heartbeat) clearInterval(heartbeat);
        log.error(
          `[flows] the flows process (pid ${child.process.pid}) did not answer for ${settings.heartbeatTimeoutMs} ms (a flow keeps it busy?): stopping it`,
        );
        child.process.kill('SIGKILL');
        return;
      }
      child.peer.call(CHILD_CALLS.ping, [], settings.heartbeatTimeoutMs).then(
        () => (lastAnswer = Date.now()),
        () => {},
      );
    }, settings.heartbeatIntervalMs);
    heartbeat.unref();
  }
}
