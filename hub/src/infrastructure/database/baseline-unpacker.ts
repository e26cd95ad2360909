// A worker thread's entry (`unpackAhead`, ADR 0070): unpacks a baseline tarball into a staging folder
// while the main thread loads the hub's modules. It exits with an error when it cannot.
import { workerData } from 'node:worker_threads';
import { unpackBaseline } from './embedded-baseline.js';

const { tarball, staging } = workerData as { tarball: string; staging: string };
unpackBaseline(tarball, staging);
