// The one setting every writing connector shares for writes whose outcome is unknown (a timeout or a reset
// after the request was sent): how long the external system may still be applying such a write. A
// system that timed out on us is often still working on the request; reading back by the key too soon
// finds nothing and sends the record a second time (ADR 0061).

import type { SettingField, Settings } from './settings.js';

export const UNKNOWN_OUTCOME_WAIT_SETTING: SettingField = {
  type: 'number',
  min: 0,
  max: 900_000,
  description:
    'After a write whose answer was lost (timeout, reset), wait this long (ms) before reading it back by key ' +
    'and sending it again only if absent; default twice timeoutMs',
};

/** The setting `unknownOutcomeWaitMs`, or twice the per-request timeout when not given. */
export function unknownOutcomeWaitMs(settings: Settings): number {
  const given = settings.unknownOutcomeWaitMs;
  if (typeof given === 'number') return given;
  const timeout = typeof settings.timeoutMs === 'number' ? settings.timeoutMs : 15_000;
  return 2 * timeout;
}
