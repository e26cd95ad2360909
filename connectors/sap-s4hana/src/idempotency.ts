// ExternalSystemConfirmation is an Edm.Guid, but the runtime's idempotency keys are any stable string
// (e.g. "<event id>:<connector instance>"). A name-based UUID (RFC 9562 version 5, SHA-1) turns a key into
// the same GUID on every retry and every replica, and a key that already is a UUID is kept as it is.

import { createHash } from 'node:crypto';

/** The namespace of PlantGraph's name-based confirmation GUIDs (fixed: changing it would re-post everything). */
export const CONFIRMATION_KEY_NAMESPACE = '45060cee-1b5a-41c8-8d26-6ff897d90213';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** The GUID to send in ExternalSystemConfirmation for an idempotency key (lower case, as Gateway returns it). */
export function externalConfirmationId(idempotencyKey: string): string {
  if (isUuid(idempotencyKey)) return idempotencyKey.toLowerCase();
  if (idempotencyKey === '') throw new TypeError('an idempotency key may not be empty');
  const namespace = Buffer.from(CONFIRMATION_KEY_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(idempotencyKey, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
