import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** A TCP port nobody listens on right now (on 127.0.0.1). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A server of a test's own (never the shared one), to stop, kill and restart during a test. */
export interface PrivateService {
  url: string;
  port: number;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Graceful shutdown (waits for the exit); `restart()` brings it back on the same port and files. */
  stop(): Promise<void>;
  /** SIGKILL to the server and its children, no clean-up on their side (waits for the exit). */
  kill(): Promise<void>;
  /** Starts it again on the same port and files (stopping it first if it runs); resolves once it answers. */
  restart(): Promise<void>;
  /** Kills it if it runs and removes its files: call at the end of the test. */
  dispose(): Promise<void>;
  /** SIGSTOP: it keeps its port and accepted connections but answers nothing until `resume()` (SIGCONT). */
  pause(): void;
  resume(): void;
}

export interface ServerProcessSpec {
  /** For messages, e.g. "private nats-server". */
  name: string;
  command: string;
  args: string[];
  options?: SpawnOptions;
  /** The server's own output line that says it is ready. */
  readyLine: RegExp;
  readyWithinMs?: number;
  /** The signal of a graceful shutdown. */
  stopSignal: NodeJS.Signals;
}

/** Process groups still running, killed if the test process exits without disposing of them. */
const live = new Set<number>();
process.once('exit', () => {
  for (const pgid of live) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs a server as a child in its own process group (so a kill reaches its children too), with
 * bounded waits for its start and its exit.
 */
export class ServerProcess {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #output = '';

  constructor(private readonly spec: ServerProcessSpec) {}

  get running(): boolean {
    return this.#child !== null;
  }

  /** The last part of what the server printed, for failure messages. */
  get output(): string {
    return this.#output.slice(-4000);
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error(`The ${this.spec.name} is already running.`);
    const { name, command, args, options = {}, readyLine, readyWithinMs = 30_000 } = this.spec;
    this.#output = '';
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    if (child.pid) live.add(child.pid);
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (child.pid) live.delete(child.pid);
        if (this.#child === child) this.#child = null;
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`The ${name} ${why}:\n${this.output}`));
      };
      const timer = setTimeout(() => {
        fail(`did not start within ${readyWithinMs / 1000} s`);
        void this.signal('SIGKILL');
      }, readyWithinMs);
      const onData = (chunk: Buffer) => {
        this.#output += chunk.toString();
        if (readyLine.test(this.#output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (err) => fail(`could not be started: ${err.message}`));
      child.once('exit', (code, signal) => fail(`exited with ${code ?? signal} before it was ready`));
    });
  }

  /** Sends `signal` to the whole group and waits for the exit; SIGKILL after `withinMs`. */
  async signal(signal: NodeJS.Signals, withinMs = 15_000): Promise<void> {
    const child = this.#child;
    if (!child?.pid) return;
    killGroup(child.pid, signal);
    const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), withinMs);
    await this.#exited;
    clearTimeout(timer);
    // Children of the group (e.g. PostgreSQL backends) go with it.
    killGroup(child.pid, 'SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal(this.spec.stopSignal);
  }

  /** Sends `signal` to the whole group without waiting (SIGSTOP, SIGCONT). */
  send(signal: NodeJS.Signals): void {
    if (this.#child?.pid) killGroup(this.#child.pid, signal);
  }
}

/** Starts `server` and hands it out as a `PrivateService` whose files are in `dir`. */
export async function startedService(
  server: ServerProcess,
  url: string,
  port: number,
  dir: string,
): Promise<PrivateService> {
  await server.start();
  return {
    url,
    port,
    get running() {
      return server.running;
    },
    stop: () => server.stop(),
    kill: () => server.signal('SIGKILL'),
    restart: async () => {
      await server.stop();
      await server.start();
    },
    dispose: async () => {
      await server.signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    pause: () => server.send('SIGSTOP'),
    resume: () => server.send('SIGCONT'),
  };
}
