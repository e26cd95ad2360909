import { JetStreamError } from '@nats-io/jetstream';

/**
 * How often JetStream says a pull is still open while no signal comes: two missed in a row mean the
 * server has lost the pull (nats-server 2.9 was seen to, when signals began to arrive on an idle
 * stream), and the reader pulls again at once. The client's smallest value; its default (half the
 * pull's expiry) took 2-3 s to notice, and the signals meanwhile waited (issue 15: p99 4.5 s at
 * 1,000 signals/s).
 */
export const PULL_HEARTBEAT_MS = 500;
/** At most one log line per this long about lost pulls (an operator's hint, not an outage). */
const NOTICE_EVERY_MS = 60_000;

/** A pull that went silent (no signal, no heartbeat, no end): the server no longer has it. */
export function isLostPull(err: unknown): boolean {
  return err instanceof JetStreamError && err.message === 'heartbeats missed';
}

/** Counts lost pulls and tells of them at most once a minute. */
export function lostPullNotice(warn = (line: string) => console.warn(line)): () => void {
  let lost = 0;
  let toldAt = Number.NEGATIVE_INFINITY;
  return () => {
    lost++;
    if (Date.now() - toldAt < NOTICE_EVERY_MS) return;
    toldAt = Date.now();
    warn(`[bus] JetStream left a pull of signals unanswered; pulled again (${lost} since start)`);
  };
}
