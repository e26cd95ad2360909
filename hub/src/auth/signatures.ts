import { createHash } from 'node:crypto';
import {
  ElectronicSignature,
  Permission,
  Person,
  ROLE_PERMISSIONS,
  type Role,
  type SignatureInput,
  SignatureMeaning,
  SignedAct,
} from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';
import { snapshot } from '../core/unit-of-work.js';
import { canonical } from '../core/audit-chain.js';
import type { Principal } from '../core/principal.js';
import type { Authenticator } from './authenticator.js';
import { fail, invalidInput } from '../core/failures.js';

/** How recently the signer must have signed in: the re-authentication Part 11 asks for. */
const REAUTHENTICATION_WINDOW_MS = 5 * 60_000;

/** Where master data is signed: it belongs to no equipment, so the signer needs the permission enterprise-wide. */
export const ENTERPRISE = Symbol('enterprise');

/** The permission each meaning needs where the record is (ADR 0015). */
export const SIGNATURE_PERMISSION: Readonly<Record<SignatureMeaning, Permission>> = {
  [SignatureMeaning.Verification]: Permission.ExecuteSteps,
  [SignatureMeaning.Responsibility]: Permission.ExecuteSteps,
  [SignatureMeaning.Review]: Permission.Sign,
  [SignatureMeaning.Approval]: Permission.QualityApproval,
};

/** Each act in the plant's words, for messages. */
const ACT_NAME: Readonly<Record<SignedAct, string>> = {
  [SignedAct.StepVerification]: 'step verification',
  [SignedAct.LineClearance]: 'line clearance',
  [SignedAct.DeviationClosure]: 'deviation closure',
  [SignedAct.Correction]: 'correction',
  [SignedAct.ReleaseToStock]: 'release to stock',
  [SignedAct.Rejection]: 'rejection',
  [SignedAct.MasterRecordReview]: 'master-record review',
  [SignedAct.MasterRecordApproval]: 'master-record approval',
  [SignedAct.ReleasedProductChange]: 'change of released product',
  [SignedAct.MaintenanceSignOff]: 'maintenance sign-off',
  [SignedAct.RedlineApproval]: 'redline approval',
  [SignedAct.CampaignCleaning]: 'campaign cleaning',
};

/** What is being signed: the act, the meaning it takes, where, and who may not sign it. */
export interface SigningAct {
  act: SignedAct;
  meaning: SignatureMeaning;
  /** The equipment path of the record (an order's line), or ENTERPRISE for master data. */
  at: string | typeof ENTERPRISE;
  /** Employee ids that may not sign this act, each with the reason (they executed, they wrote it …). */
  excluded?: ReadonlyMap<string, string>;
}

/**
 * Electronic signatures (21 CFR Part 11): the signer proves who they are again, must hold the
 * permission for the signature's meaning where the record is, must not be excluded from the act
 * (separation of duties), and the signature is bound to the record's hash.
 */
export class SignatureService {
  constructor(private readonly authenticator: Authenticator) {}

  /** Signs `record` (its current content) as the person the input's fresh token belongs to. */
  async sign(
    tx: Tx,
    field: string,
    input: SignatureInput,
    act: SigningAct,
    recordType: string,
    record: { id: string },
  ): Promise<ElectronicSignature> {
    const name = ACT_NAME[act.act];
    if (input.meaning !== act.meaning)
      fail(
        invalidInput(`${field}.meaning`, `a ${name} is signed with the meaning ${act.meaning}, not ${input.meaning}.`),
      );
    const principal = await this.#signer(field, input.token);
    const permission = SIGNATURE_PERMISSION[act.meaning];
    const where = act.at === ENTERPRISE ? 'for the whole enterprise' : `at ${act.at}`;
    const holds = act.at === ENTERPRISE ? principal.canEnterpriseWide(permission) : principal.can(permission, act.at);
    if (!holds)
      fail(
        invalidInput(
          `${field}.token`,
          `${principal.id} may not sign a ${name}: the meaning ${act.meaning} needs the ${permission} permission ${where} (roles ${rolesWith(permission)}), and the signer's token grants ${granted(principal)}.`,
        ),
      );
    const person =
      (await tx.findOne(Person, { employeeId: principal.id, active: true })) ??
      fail(
        invalidInput(
          `${field}.token`,
          `the signer "${principal.id}" is not an active person of the plant (the token's subject must be their employee id).`,
        ),
      );
    const reason = act.excluded?.get(person.employeeId);
    if (reason)
      fail(
        invalidInput(`${field}.token`, `${person.name} (${person.employeeId}) may not sign the ${name}: ${reason}.`),
      );
    const recordHash = createHash('sha256')
      .update(canonical(snapshot(record)))
      .digest('hex');
    return tx.create(ElectronicSignature, {
      signer: person.employeeId,
      printedName: person.name,
      signedAt: new Date(),
      meaning: act.meaning,
      act: act.act,
      recordType,
      recordId: record.id,
      recordHash,
    });
  }

  /**
   * A two-person act: exactly two signatures by two different people, one with each of the act's
   * meanings (in either order), each held to its own meaning's permission.
   */
  async signByTwo(
    tx: Tx,
    inputs: SignatureInput[],
    act: Omit<SigningAct, 'meaning'> & { meanings: readonly [SignatureMeaning, SignatureMeaning] },
    recordType: string,
    record: { id: string },
  ): Promise<ElectronicSignature[]> {
    const [first, second] = act.meanings;
    const given = inputs.map((i) => i.meaning);
    if (inputs.length !== 2 || !given.includes(first) || !given.includes(second))
      fail(
        invalidInput(
          'signatures',
          `a ${ACT_NAME[act.act]} takes two signatures by two different people: one ${first} (${SIGNATURE_PERMISSION[first]}) and one ${second} (${SIGNATURE_PERMISSION[second]}); got ${given.join(', ') || 'none'}.`,
        ),
      );
    const signatures: ElectronicSignature[] = [];
    for (const [i, input] of inputs.entries())
      signatures.push(
        await this.sign(tx, `signatures[${i}]`, input, { ...act, meaning: input.meaning }, recordType, record),
      );
    const [a, b] = signatures as [ElectronicSignature, ElectronicSignature];
    if (a.signer === b.signer)
      fail(invalidInput('signatures', `both signatures are by ${a.signer}; a second, different person must sign.`));
    return signatures;
  }

  /** The signer: a person freshly signed in with the identity provider, never an API key. */
  async #signer(field: string, token: string): Promise<Principal> {
    const notAPerson = () =>
      fail(
        invalidInput(
          `${field}.token`,
          "a signature needs the signer's own sign-in token from the identity provider, not an API key.",
        ),
      );
    // Checked first, as looking up a key would need a second connection mid-transaction.
    if (token.startsWith('pgk_')) notAPerson();
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(`Bearer ${token}`);
    } catch (err) {
      return fail(invalidInput(`${field}.token`, `the signer could not be authenticated (${(err as Error).message})`));
    }
    if (principal.kind !== 'user') notAPerson();
    if (!principal.authenticatedAt) {
      fail(
        invalidInput(
          `${field}.token`,
          'the token says no sign-in time (auth_time), so the re-authentication a signature needs cannot be checked; have the identity provider include auth_time (OpenID Connect max_age or auth_time claim).',
        ),
      );
    }
    if (Date.now() - principal.authenticatedAt.getTime() > REAUTHENTICATION_WINDOW_MS)
      fail(invalidInput(`${field}.token`, 'the signer signed in more than 5 minutes ago; sign in again to sign.'));
    return principal;
  }
}

/** The roles that carry a permission, for messages. */
const rolesWith = (permission: Permission) =>
  (Object.entries(ROLE_PERMISSIONS) as [Role, readonly Permission[]][])
    .filter(([, permissions]) => permissions.includes(permission))
    .map(([role]) => role)
    .join(', ');

/** What a signer's token grants, for messages. */
const granted = (principal: Principal) =>
  principal.grants.length ? principal.grants.map((g) => `${g.role}@${g.scope}`).join(', ') : 'no roles at all';
