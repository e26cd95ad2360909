// United Manufacturing Hub topics on MQTT (`umh/v1/<location path>/<data contract>[/<virtual
// path>]/<tag>`, one tag per message, payload `{"value": …, "timestamp_ms": …}`), mapped like Sparkplug
// metrics: the mapping names a location (dotted, as UMH writes it) and tags
// (`<data contract>[.<virtual path>].<tag>`, the contract starting with "_").

import type { HostStats } from './host.js';
import type { SparkplugMapping } from './mapping.js';
import type { SignalInput, SignalMapper } from './signals.js';

const PREFIX = 'umh/v1/';

/** The MQTT subscription for one mapped location. */
export const umhSubscription = (location: string) => `${PREFIX}${location.split('.').join('/')}/#`;

/** `umh/v1/acme/berlin/_historian/counters/good` -> location `acme.berlin`, tag `_historian.counters.good`. */
export function parseUmhTopic(topic: string): { location: string; tag: string } | null {
  if (!topic.startsWith(PREFIX)) return null;
  const parts = topic.slice(PREFIX.length).split('/');
  const contract = parts.findIndex((p) => p.startsWith('_'));
  if (contract < 1 || contract > parts.length - 2) return null;
  return { location: parts.slice(0, contract).join('.'), tag: parts.slice(contract).join('.') };
}

export function umhMessage(
  topic: string,
  payload: Buffer,
  mapping: SparkplugMapping,
  mapper: SignalMapper,
  stats: HostStats,
  out: SignalInput[],
): void {
  const parsed = parseUmhTopic(topic);
  const equipment = parsed && mapping.umh[parsed.location];
  if (!parsed || !equipment?.metrics[parsed.tag]) return;
  stats.messages++;
  stats.lastMessageAt = Date.now();
  const body = JSON.parse(payload.toString('utf8')) as { value?: unknown; timestamp_ms?: unknown };
  const value = body.value;
  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean')
    throw new Error('"value" must be a number, text or true/false');
  const at = typeof body.timestamp_ms === 'number' ? body.timestamp_ms : undefined;
  mapper.map(`umh:${parsed.location}`, equipment, parsed.tag, value, at, false, out);
}
