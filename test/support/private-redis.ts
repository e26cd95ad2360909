import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-nats.js';
import { until } from './queue.js';

/**
 * A redis-server of a test's own (never the shared one), to kill with SIGKILL and start again on the
 * same files. AOF with fsync on every write, as production should run it: what Redis acknowledged
 * survives a kill.
 */
export class PrivateRedis {
  readonly #dir = mkdtempSync(join(tmpdir(), 'plantgraph-redis-'));
  #child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.#dir, '--save', ''];
    args.push('--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction');
    this.#child = spawn('redis-server', [...args, '--daemonize', 'no'], { stdio: 'ignore' });
    await until(async () => {
      const probe = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, 'the private redis-server to answer');
  }

  async kill(): Promise<void> {
    const child = this.#child!;
    this.#child = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    if (this.#child) await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
