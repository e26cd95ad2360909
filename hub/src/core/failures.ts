import { ErrorCode, type EquipmentLevel, type ReleaseProblemKind, type ScheduleProblemKind } from '@plantgraph/schema';

/**
 * Expected failures of a command, as plain domain values with a code: nothing was stored, and the
 * message says what to fix. The GraphQL adapter turns each code into its result type
 * (`graphql/failures.ts`); other callers (ingest, flows, CLI, demo) read `code` and `message`.
 */
export interface FailureDetails {
  [ErrorCode.NotFound]: { entity: string; key: string };
  [ErrorCode.DuplicateKey]: { entity: string; key: string };
  [ErrorCode.UnknownReference]: { field: string; entity: string; key: string };
  [ErrorCode.InvalidInput]: { field: string };
  [ErrorCode.InvalidPropertyValue]: { property: string };
  [ErrorCode.UnknownParent]: { parentPath: string };
  [ErrorCode.DuplicatePath]: { path: string };
  [ErrorCode.HierarchyCycle]: { path: string; parentPath: string };
  [ErrorCode.LevelNotAllowed]: {
    level: EquipmentLevel;
    parentLevel: EquipmentLevel | null;
    allowedParentLevels: EquipmentLevel[];
  };
  [ErrorCode.InvalidTransition]: { currentState: string; requestedState: string; allowedStates: string[] };
  [ErrorCode.ReleaseBlocked]: { problems: ReleaseProblemDetail[] };
  [ErrorCode.ScheduleBlocked]: { problems: ScheduleProblemDetail[] };
}

/** One constraint a schedule entry breaks. */
export interface ScheduleProblemDetail {
  kind: ScheduleProblemKind;
  orderNumber: string | null;
  /** The unit, material, qualification, shift or rule at fault. */
  subject: string;
  message: string;
}

/** One reason a work order cannot be released. */
export interface ReleaseProblemDetail {
  kind: ReleaseProblemKind;
  /** The segment it concerns. */
  segment: string | null;
  /** The equipment path, employee id, material or lot at fault. */
  subject: string;
  message: string;
}

export class DomainFailure<C extends ErrorCode = ErrorCode> {
  constructor(
    readonly code: C,
    readonly message: string,
    readonly details: FailureDetails[C],
  ) {}
}

/** Thrown by `fail()`; the unit of work rolls back and returns the failure, adapters map it. */
export class FailureError extends Error {
  constructor(readonly failure: DomainFailure) {
    super(failure.message);
    this.name = `Failure(${failure.code})`;
  }
}

/** Stops a command with an expected failure; inside a unit of work everything rolls back. */
export function fail(failure: DomainFailure): never {
  throw new FailureError(failure);
}

export const isFailure = (value: unknown): value is DomainFailure => value instanceof DomainFailure;

export const notFound = (entity: string, key: string) =>
  new DomainFailure(ErrorCode.NotFound, `No ${entity} "${key}" exists. Check the key, or create it first.`, {
    entity,
    key,
  });

export const duplicateKey = (entity: string, key: string) =>
  new DomainFailure(
    ErrorCode.DuplicateKey,
    `A ${entity} "${key}" already exists. Choose another key or update the existing one.`,
    { entity, key },
  );

/**
 * A key unique across the installation is taken, said the same way whether or not the caller may
 * see the record holding it: nothing about that record (where it is, that it could be updated),
 * only that the key cannot be had, so a caller learns no more than any create would tell it.
 */
export const keyTaken = (entity: string, key: string) =>
  new DomainFailure(
    ErrorCode.DuplicateKey,
    `The ${entity} "${key}" is taken. Choose another: these keys are unique across the whole installation, including the parts you cannot see.`,
    { entity, key },
  );

export const unknownReference = (field: string, entity: string, key: string) =>
  new DomainFailure(
    ErrorCode.UnknownReference,
    `${field}: no ${entity} "${key}" exists. Create it first or correct the reference.`,
    { field, entity, key },
  );

/** `field` is the input field at fault, as a path (e.g. `segments[1].parameters[0].target`). */
export const invalidInput = (field: string, problem: string) =>
  new DomainFailure(ErrorCode.InvalidInput, `${field}: ${problem}`, { field });

export const invalidPropertyValue = (property: string, problem: string) =>
  new DomainFailure(ErrorCode.InvalidPropertyValue, `Property "${property}": ${problem}`, { property });

export function invalidTransition(entity: string, currentState: string, requestedState: string, allowed: string[]) {
  const next = allowed.length ? allowed.join(', ') : 'none (final state)';
  return new DomainFailure(
    ErrorCode.InvalidTransition,
    `${entity} is ${currentState} and cannot become ${requestedState}. Allowed next states: ${next}.`,
    { currentState, requestedState, allowedStates: allowed },
  );
}

export const unknownParent = (parentPath: string) =>
  new DomainFailure(
    ErrorCode.UnknownParent,
    `No equipment has the path "${parentPath}". Create the parent first or correct parentPath.`,
    { parentPath },
  );

export const duplicatePath = (path: string) =>
  new DomainFailure(ErrorCode.DuplicatePath, `Equipment "${path}" already exists. Choose another code.`, { path });

export const hierarchyCycle = (path: string, parentPath: string) =>
  new DomainFailure(
    ErrorCode.HierarchyCycle,
    `"${parentPath}" lies under "${path}"; equipment cannot be moved under itself. Choose a parent outside its subtree.`,
    { path, parentPath },
  );

export function levelNotAllowed(
  level: EquipmentLevel,
  parentLevel: EquipmentLevel | null,
  allowed: readonly EquipmentLevel[],
) {
  const where = parentLevel ? `under ${article(parentLevel)} ${parentLevel}` : 'without a parent';
  const fix = allowed.length ? `it must sit under: ${allowed.join(', ')}` : 'it must be a root (no parentPath)';
  return new DomainFailure(ErrorCode.LevelNotAllowed, `${article(level, true)} ${level} cannot sit ${where}; ${fix}.`, {
    level,
    parentLevel,
    allowedParentLevels: [...allowed],
  });
}

export const releaseBlocked = (problems: ReleaseProblemDetail[]) =>
  new DomainFailure(
    ErrorCode.ReleaseBlocked,
    `The order cannot be released: ${problems.map((p) => p.message).join(' ')}`,
    { problems },
  );

export const scheduleBlocked = (problems: ScheduleProblemDetail[]) =>
  new DomainFailure(
    ErrorCode.ScheduleBlocked,
    `The schedule breaks ${problems.length} constraint${problems.length === 1 ? '' : 's'}: ${problems
      .slice(0, 20)
      .map((p) => p.message)
      .join(' ')}${problems.length > 20 ? ' …' : ''}`,
    { problems },
  );

function article(word: string, capital = false): string {
  const a = /^[AEIOU]/.test(word) ? 'an' : 'a';
  return capital ? a[0]!.toUpperCase() + a.slice(1) : a;
}
