import { createHash } from 'node:crypto';
import { ElectronicSignature, Person, type SignatureInput } from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';
import { snapshot } from '../core/unit-of-work.js';
import { canonical } from '../core/audit-chain.js';
import type { Authenticator } from './authenticator.js';
import { fail, invalidInput } from '../core/failures.js';

/** How recently the signer must have signed in: the re-authentication Part 11 asks for. */
const REAUTHENTICATION_WINDOW_MS = 5 * 60_000;

/** Electronic signatures: the signer proves who they are again, and the signature is bound to the record's hash. */
export class SignatureService {
  constructor(private readonly authenticator: Authenticator) {}

  /** Signs `record` (its current content) as the person the input's fresh token belongs to. */
  async sign(
    tx: Tx,
    field: string,
    input: SignatureInput,
    recordType: string,
    record: { id: string },
  ): Promise<ElectronicSignature> {
    // Only people sign; checked first, as looking up a key would need a second connection mid-transaction.
    if (input.token.startsWith('pgk_'))
      fail(
        invalidInput(
          `${field}.token`,
          "a signature needs the signer's own sign-in token from the identity provider, not an API key.",
        ),
      );
    let principal: Awaited<ReturnType<Authenticator['authenticate']>>;
    try {
      principal = await this.authenticator.authenticate(`Bearer ${input.token}`);
    } catch (err) {
      return fail(invalidInput(`${field}.token`, `the signer could not be authenticated (${(err as Error).message})`));
    }
    if (principal.kind !== 'user')
      fail(
        invalidInput(
          `${field}.token`,
          "a signature needs the signer's own sign-in token from the identity provider, not an API key.",
        ),
      );
    if (!principal.authenticatedAt) {
      fail(
        invalidInput(
          `${field}.token`,
          'the token says no sign-in time (auth_time), so the re-authentication a signature needs cannot be checked; have the identity provider include auth_time (OpenID Connect max_age or auth_time claim).',
        ),
      );
    }
    if (Date.now() - principal.authenticatedAt.getTime() > REAUTHENTICATION_WINDOW_MS) {
      fail(invalidInput(`${field}.token`, 'the signer signed in more than 5 minutes ago; sign in again to sign.'));
    }
    const person =
      (await tx.findOne(Person, { employeeId: principal.id, active: true })) ??
      fail(
        invalidInput(
          `${field}.token`,
          `the signer "${principal.id}" is not an active person of the plant (the token's subject must be their employee id).`,
        ),
      );
    const recordHash = createHash('sha256')
      .update(canonical(snapshot(record)))
      .digest('hex');
    return tx.create(ElectronicSignature, {
      signer: person.employeeId,
      printedName: person.name,
      signedAt: new Date(),
      meaning: input.meaning,
      recordType,
      recordId: record.id,
      recordHash,
    });
  }
}
