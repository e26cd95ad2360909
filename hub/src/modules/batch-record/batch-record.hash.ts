import { createHash } from 'node:crypto';
import { canonical } from '../../core/audit-chain.js';
import type { BatchRecordContent } from './batch-record.content.js';

/**
 * The record's hash: sha256 over its canonical JSON (keys sorted, as the audit chain hashes), not
 * over the PDF bytes, so that anyone holding the printed hash can check it against the record in
 * the hub, whatever the PDF library wrote around it.
 */
export function batchRecordHash(content: BatchRecordContent): string {
  return createHash('sha256').update(canonical(content)).digest('hex');
}

export const SHA256 = /^[0-9a-f]{64}$/;

/** Keys of the PDF's document information dictionary where the order and hash are kept, machine-readable. */
export const INFO_ORDER = 'PlantGraphBatchRecordOrder';
export const INFO_HASH = 'PlantGraphBatchRecordSha256';

/** A PDF literal string's text, undoing the escapes PDF writers use for parentheses and backslashes. */
const unescapeLiteral = (s: string) => s.replace(/\\([\\()])/g, '$1');

/**
 * The order number and hash a rendered batch record carries in its information dictionary (written
 * uncompressed by the renderer, each value a string object of its own), or null when the file is not one.
 */
export function readBatchRecordInfo(pdf: Buffer): { number: string; sha256: string } | null {
  const text = pdf.toString('latin1');
  const literal = '\\(((?:\\\\.|[^\\\\)])*)\\)';
  const value = (key: string) => {
    const direct = new RegExp(`/${key}\\s*${literal}`).exec(text)?.[1];
    if (direct !== undefined) return direct;
    const ref = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(text)?.[1];
    return ref ? new RegExp(`(?:^|\\s)${ref}\\s+0\\s+obj\\s*${literal}`).exec(text)?.[1] : undefined;
  };
  const number = value(INFO_ORDER);
  const sha256 = value(INFO_HASH);
  return number && sha256 ? { number: unescapeLiteral(number), sha256: unescapeLiteral(sha256) } : null;
}
