/**
 * Runs `work` every `everyMs`, one round at a time (a slow round delays the next rather than
 * overlapping it); a failed round is logged and the next one tries again. A failure that repeats
 * the previous round's message is not logged again until a round succeeds, so an outage of the
 * database says so once per job, not every few seconds. Returns its stop function, which waits for a
 * round under way.
 */
export function startPeriodic(
  what: string,
  everyMs: number,
  work: () => Promise<unknown>,
  log: Pick<Console, 'error'> = console,
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let lastFailure: string | null = null;
  const round = async () => {
    try {
      await work();
      lastFailure = null;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastFailure) log.error(`${what} failed: ${message}`);
      lastFailure = message;
    }
  };
  const timer = setInterval(() => {
    running = running.then(round);
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
