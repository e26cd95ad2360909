// @plantgraph/simulator-kit: what the REST simulators of external systems share (serving, keys, rate
// limit, fault injection), so each simulator is only its system's routes and data.

export * from './faults.js';
export * from './rest-simulator.js';
