import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * An exclusive lock on an embedded data folder. PGlite is one PostgreSQL inside one process: two
 * processes on one folder each keep their own buffers and WAL position, see only their own writes
 * and leave the folder unreadable (`Aborted()`). So every process that opens the folder first
 * takes `<folder>.lock`, a file next to it naming the holder (pid, host, start).
 *
 * Taking it is atomic: the holder's record is written to a private file first and then hard-linked
 * to the lock's name, which fails if the name exists (no check-then-write window, and no reader
 * ever sees a half-written lock). A lock whose holder is gone (a dead pid on this host, a pid now
 * used by another process, or a host that rebooted) is stale and taken over; only one process may
 * take over at a time (`<folder>.lock.takeover`, created exclusively).
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** What the holder was: `plantgraph start`, `plantgraph migrate`, … */
  command: string;
  startedAt: string;
  /** Linux: the kernel's boot id and the process's start tick, to tell a reused pid from the holder. */
  bootId?: string;
  processStart?: string;
  token: string;
}

export class FolderLockedError extends Error {
  constructor(
    readonly folder: string,
    readonly holder: LockHolder,
    readonly lockFile: string,
  ) {
    const where =
      holder.host === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on host "${holder.host}"`;
    super(
      `The embedded database in ${folder} is in use by ${where} ("${holder.command}", since ${holder.startedAt}). ` +
        'PGlite serves one folder from one process only; a second one would corrupt it. Stop that process first, ' +
        `or use a different folder (PLANTGRAPH_DATA_DIR). If you are sure no process uses the folder, delete ${lockFile}.`,
    );
    this.name = 'FolderLockedError';
  }
}

export interface FolderLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still this process's; safe to call more than once. */
  release(): void;
}

/** Locks held by this process, released by an exit hook should the owner not get to it. */
const held = new Map<string, FolderLock>();
const TAKEOVER_GUARD_STALE_MS = 10_000;
const UNREADABLE_STALE_MS = 2_000;

export const lockFileOf = (folder: string) => join(dirname(folder), `${basename(folder)}.lock`);

/** Takes the folder's lock or throws `FolderLockedError` naming the live holder. */
export function lockFolder(folder: string, command = processCommand()): FolderLock {
  const file = lockFileOf(folder);
  if (held.has(file)) throw new FolderLockedError(folder, held.get(file)!.holder, file);
  mkdirSync(dirname(file), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    ...linuxIdentity(process.pid),
    token: randomBytes(8).toString('hex'),
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (tryCreate(file, holder)) return remember(file, holder);
    const current = readHolder(file);
    if (current === 'missing') continue;
    if (current !== 'unreadable' && isAlive(current)) throw new FolderLockedError(folder, current, file);
    // An unreadable lock may be one being written where hard links are not supported: give it time.
    if (current === 'unreadable' && ageMs(file) < UNREADABLE_STALE_MS) sleepSync(100);
    else takeOverStale(file, current);
  }
  throw new Error(`Could not take the lock ${file}: it keeps changing. Is another process starting on ${folder}?`);
}

function tryCreate(file: string, holder: LockHolder): boolean {
  const record = `${JSON.stringify(holder)}\n`;
  const draft = `${file}.${holder.pid}.${holder.token}`;
  writeFileSync(draft, record, { flag: 'wx' });
  try {
    linkSync(draft, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
  } finally {
    unlinkSync(draft);
  }
  // No hard links on this file system: an exclusive create is atomic too, the record follows at once.
  try {
    writeFileSync(file, record, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Removes a stale lock, re-checked under the takeover guard so two takers cannot both win. */
function takeOverStale(file: string, stale: LockHolder | 'unreadable'): void {
  const guard = `${file}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Someone else is taking over; a guard left by a process killed mid-takeover is cleared later.
    if (ageMs(guard) > TAKEOVER_GUARD_STALE_MS) unlinkQuietly(guard);
    sleepSync(50);
    return;
  }
  try {
    const now = readHolder(file);
    const same =
      now === 'unreadable'
        ? stale === 'unreadable' && ageMs(file) >= UNREADABLE_STALE_MS
        : now !== 'missing' && stale !== 'unreadable' && now.token === stale.token;
    if (same) unlinkQuietly(file);
  } finally {
    unlinkQuietly(guard);
  }
}

function readHolder(file: string): LockHolder | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.token === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether the recorded holder still runs. A holder on another host cannot be checked: it counts as live. */
export function isAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  const now = linuxIdentity(h.pid);
  if (h.bootId && now.bootId && h.bootId !== now.bootId) return false; // the machine restarted since
  // Our own pid but not one of our locks: a previous process in a restarted container had it.
  if (h.pid === process.pid) return [...held.values()].some((l) => l.holder.token === h.token);
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid runs; in a container after a restart it may be another process with the same pid.
  return !(h.processStart && now.processStart && h.processStart !== now.processStart);
}

function remember(file: string, holder: LockHolder): FolderLock {
  let released = false;
  const lock: FolderLock = {
    file,
    holder,
    release: () => {
      if (released) return;
      released = true;
      held.delete(file);
      const current = readHolder(file);
      if (current !== 'missing' && current !== 'unreadable' && current.token === holder.token) unlinkQuietly(file);
      if (!held.size) listen('off');
    },
  };
  if (!held.size) listen('on');
  held.set(file, lock);
  return lock;
}

function releaseAll(): void {
  for (const lock of [...held.values()]) lock.release();
}

function listen(how: 'on' | 'off'): void {
  process[how]('exit', releaseAll);
  process[how]('SIGINT', onSignal);
  process[how]('SIGTERM', onSignal);
}

/**
 * Ctrl-C or SIGTERM to a one-shot command (migrate, backup, …): exit as without a handler, and the
 * exit hook releases the lock. When the program handles the signal itself (`plantgraph start`
 * closes the hub, and with it the database and its lock), leave it to that handler.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
}

/** The kernel's boot id and the process's start time in clock ticks (field 22 of /proc/<pid>/stat). */
function linuxIdentity(pid: number): { bootId?: string; processStart?: string } {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const bootId = read('/proc/sys/kernel/random/boot_id')?.trim();
  const stat = read(`/proc/${pid}/stat`);
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ")".
  const processStart = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return { ...(bootId ? { bootId } : {}), ...(processStart ? { processStart } : {}) };
}

function processCommand(): string {
  return ['plantgraph', ...process.argv.slice(2)].join(' ').slice(0, 200);
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
