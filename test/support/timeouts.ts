/**
 * How long a test's set-up may take to start a hub (embedded or on PostgreSQL and NATS, with the demo
 * plant, and its own simulators or private services around it). CI runs on two cores shared with other
 * suites: at load average 20 an embedded demo hub took over a minute to start, and hooks that kept
 * vitest's 60 s failed. Generous on purpose: it only bounds a start that hangs.
 */
export const HUB_START_TIMEOUT_MS = 240_000;
