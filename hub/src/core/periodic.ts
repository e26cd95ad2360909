/**
 * Runs `work` every `everyMs`, one round at a time (a slow round delays the next rather than
 * overlapping it); a failed round is logged and the next one tries again. Returns its stop
 * function, which waits for a round under way.
 */
export function startPeriodic(
  what: string,
  everyMs: number,
  work: () => Promise<unknown>,
  log: Pick<Console, 'error'> = console,
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(work).catch((err: Error) => log.error(`${what} failed: ${err.message}`));
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
