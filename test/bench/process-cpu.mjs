// CPU time of the processes a benchmark involves, read from /proc (Linux): the hub, the PostgreSQL
// backends serving the bench's database, and the NATS server.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU seconds of a process so far, or 0 when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * User + system CPU seconds of this process's children that have ended and been waited for (the
 * kernel adds them to the parent's `cutime` and `cstime`): processes that start and end within a
 * measurement, such as the bench's publishers, which a sample of live pids would miss.
 */
export function endedChildrenCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** The pids of the processes whose command name is `name` (e.g. nats-server). */
export function pidsNamed(name) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** The PostgreSQL backends connected to `database`, and the shared WAL writer, as seen by `client`. */
export async function postgresPids(client, database) {
  const { rows } = await client.query(
    `select pid from pg_stat_activity where datname = $1 or backend_type = 'walwriter'`,
    [database],
  );
  return rows.map((r) => r.pid);
}

/**
 * A CPU meter over named groups of processes: `start()` samples them, `stop(events)` samples again
 * and gives each group's CPU in microseconds per event and in cores. A process that appears in
 * between is counted from zero (a new backend); one that ends before the second sample is left out.
 * A group given as `{ cpuSeconds }` is a counter read at both samples (`endedChildrenCpuSeconds`).
 */
export function cpuMeter(groups) {
  let before = null;
  let startedAt = 0;
  let loadBefore = null;
  const sample = async () => {
    const out = {};
    for (const [name, group] of Object.entries(groups)) {
      out[name] = new Map();
      if (typeof group === 'function') for (const pid of await group()) out[name].set(pid, cpuSeconds(pid));
      else out[name].set(name, group.cpuSeconds());
    }
    return out;
  };
  return {
    async start() {
      before = await sample();
      startedAt = performance.now();
      loadBefore = loadavg();
    },
    async stop(events) {
      const after = await sample();
      const seconds = (performance.now() - startedAt) / 1000;
      const perEvent = {};
      for (const [name, pids] of Object.entries(after)) {
        let used = 0;
        for (const [pid, cpu] of pids) used += cpu - (before[name].get(pid) ?? 0);
        perEvent[name] = { microsPerEvent: (used * 1e6) / events, cores: used / seconds };
      }
      return { seconds, perEvent, load: [loadBefore, loadavg()] };
    },
  };
}

/** `1.23 / 2.34 / 3.45` from os.loadavg(). */
export const formatLoad = (l) => l.map((x) => x.toFixed(2)).join(' / ');
