import { AuditRecord } from '@plantgraph/schema';
import { appendToAuditChain } from '../../core/audit-chain.js';
import { fail, invalidInput } from '../../core/failures.js';
import type { Principal } from '../../core/principal.js';
import type { UnitOfWork } from '../../core/unit-of-work.js';
import type { Tx } from '../../infrastructure/database/database.js';
import { assembleBatchRecord, RENDERED, readableOrder } from './batch-record.content.js';
import { batchRecordHash, SHA256 } from './batch-record.hash.js';
import { layoutBatchRecord } from './batch-record.layout.js';

export interface RenderedBatchRecord {
  number: string;
  sha256: string;
  renderedAt: Date;
  fileName: string;
  pdf: Buffer;
}

export interface BatchRecordVerification {
  number: string;
  sha256: string;
  /** A rendering with this hash is in the audit trail, and the record in the hub still hashes to it. */
  valid: boolean;
  /** The hash of the record as it is now. */
  currentSha256: string;
  renderedAt: Date | null;
  renderedBy: string | null;
  message: string;
}

/**
 * The executed batch record of an order as a document (issue 14): assembled from stored data
 * (`batch-record.content.ts`), hashed over its canonical content (`batch-record.hash.ts`), laid out
 * as PDF (`batch-record.layout.ts`). Each rendering is appended to the audit chain with its hash,
 * which is what a verification looks for.
 */
export class BatchRecordService {
  constructor(private readonly uow: UnitOfWork) {}

  render(principal: Principal, number: string) {
    return this.uow.run(principal.name, async ({ tx, actor }): Promise<RenderedBatchRecord> => {
      const order = await readableOrder(tx, principal, number);
      const content = await assembleBatchRecord(tx, order);
      const sha256 = batchRecordHash(content);
      const renderedAt = new Date();
      const pdf = await layoutBatchRecord(content, { sha256, renderedAt, renderedBy: actor });
      // Written directly (not work.audit): what is attested is the hash, not a change of the order.
      await appendToAuditChain(tx, actor, [
        {
          action: RENDERED,
          entityType: 'WorkOrder',
          entityId: order.id,
          before: null,
          after: { number: order.number, state: order.state, sha256, format: content.format },
          scope: order.equipment.path,
        },
      ]);
      return { number: order.number, sha256, renderedAt, fileName: `batch-record-${order.number}.pdf`, pdf };
    });
  }

  /** Whether `sha256` is the hash of a rendering of the order's record, and the record still hashes to it. */
  async verify(tx: Tx, principal: Principal, number: string, sha256: string): Promise<BatchRecordVerification> {
    const given = sha256.trim().toLowerCase();
    if (!SHA256.test(given)) fail(invalidInput('sha256', 'a SHA-256 hash is 64 hexadecimal digits.'));
    const order = await readableOrder(tx, principal, number);
    const currentSha256 = batchRecordHash(await assembleBatchRecord(tx, order));
    const renderings = await tx.find(
      AuditRecord,
      { entityType: 'WorkOrder', entityId: order.id, action: RENDERED },
      { orderBy: { id: 'asc' } },
    );
    const rendering = renderings.find((r) => (r.after as { sha256?: string } | null)?.sha256 === given);
    const valid = Boolean(rendering) && currentSha256 === given;
    const message = !rendering
      ? `no batch record of ${order.number} was rendered with this hash: the document is not one the hub issued, or it was altered.`
      : currentSha256 !== given
        ? `the record of ${order.number} has changed since this document was rendered (${rendering.at.toISOString()}); render it again.`
        : `this is the record of ${order.number} as the hub holds it, rendered ${rendering.at.toISOString()} by ${rendering.actor}.`;
    return {
      number: order.number,
      sha256: given,
      valid,
      currentSha256,
      renderedAt: rendering?.at ?? null,
      renderedBy: rendering?.actor ?? null,
      message,
    };
  }
}
