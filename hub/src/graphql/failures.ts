import { GraphQLError, type GraphQLResolveInfo, GraphQLUnionType, getNamedType } from 'graphql';
import {
  DuplicateKey,
  DuplicatePath,
  ErrorCode,
  type ErrorResult,
  HierarchyCycle,
  InvalidInput,
  InvalidPropertyValue,
  InvalidTransition,
  LevelNotAllowed,
  NotFound,
  ReleaseBlocked,
  ScheduleBlocked,
  UnknownParent,
  UnknownReference,
} from '@plantgraph/schema';
import { type DomainFailure, FailureError, isFailure } from '../core/failures.js';
import { FaultCode, HubFault } from '../core/faults.js';
import type { HubContext } from './context.js';

/**
 * The one place where the domain's coded outcomes become what GraphQL clients see: each failure code
 * its result type (a member of the mutations' result unions), each fault code a GraphQL error code.
 * Both tables are exhaustive over their enums, so a new code does not compile until it is mapped.
 */
const RESULT_TYPES: { [C in ErrorCode]: new () => ErrorResult } = {
  [ErrorCode.NotFound]: NotFound,
  [ErrorCode.DuplicateKey]: DuplicateKey,
  [ErrorCode.UnknownReference]: UnknownReference,
  [ErrorCode.InvalidInput]: InvalidInput,
  [ErrorCode.InvalidPropertyValue]: InvalidPropertyValue,
  [ErrorCode.UnknownParent]: UnknownParent,
  [ErrorCode.DuplicatePath]: DuplicatePath,
  [ErrorCode.HierarchyCycle]: HierarchyCycle,
  [ErrorCode.LevelNotAllowed]: LevelNotAllowed,
  [ErrorCode.InvalidTransition]: InvalidTransition,
  [ErrorCode.ReleaseBlocked]: ReleaseBlocked,
  [ErrorCode.ScheduleBlocked]: ScheduleBlocked,
};

const FAULT_ERRORS: { [C in FaultCode]: { code: string; status: number } } = {
  [FaultCode.Unauthenticated]: { code: 'UNAUTHENTICATED', status: 401 },
  [FaultCode.Forbidden]: { code: 'FORBIDDEN', status: 403 },
  [FaultCode.BadUserInput]: { code: 'BAD_USER_INPUT', status: 400 },
  [FaultCode.EventsUnavailable]: { code: 'EVENTS_UNAVAILABLE', status: 503 },
  [FaultCode.CursorExpired]: { code: 'CURSOR_EXPIRED', status: 410 },
};

/** A failure as its GraphQL result type (e.g. `NotFound { entity key }`). */
export function toGraphQLResult(failure: DomainFailure): ErrorResult {
  const result = new RESULT_TYPES[failure.code]();
  return Object.assign(result, { code: failure.code, message: failure.message, ...failure.details });
}

/** A fault, or a failure where the field has no result union to carry it, as a GraphQL error. */
export function toGraphQLError(error: HubFault | DomainFailure): GraphQLError {
  if (error instanceof HubFault) {
    const { code, status } = FAULT_ERRORS[error.code];
    return new GraphQLError(error.message, { extensions: { ...error.details, code, http: { status } } });
  }
  return new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', failure: error.code } });
}

/** Whether the field's result union has a member for this failure. */
function unionCarries(returnType: Parameters<typeof getNamedType>[0], failure: DomainFailure): boolean {
  const named = getNamedType(returnType);
  return named instanceof GraphQLUnionType && named.getTypes().some((t) => t.name === failure.code);
}

/**
 * A field's outcome: a failure returned or thrown by a service becomes the field's result type when
 * its union has one, else an error; a fault becomes its GraphQL error. Synchronous for a
 * synchronous resolver, so plain fields cost no promise (see `guardFields`).
 */
export function mapDomainOutcome(resolve: () => unknown, info: GraphQLResolveInfo): unknown {
  try {
    const value = resolve();
    return value instanceof Promise
      ? value.then(
          (v: unknown) => resultOf(v, info),
          (err: unknown) => failureOf(err, info),
        )
      : resultOf(value, info);
  } catch (err) {
    return failureOf(err, info);
  }
}

function resultOf(value: unknown, info: GraphQLResolveInfo): unknown {
  if (!isFailure(value)) return value;
  if (unionCarries(info.returnType, value)) return toGraphQLResult(value);
  throw toGraphQLError(value);
}

function failureOf(err: unknown, info: GraphQLResolveInfo): ErrorResult {
  if (err instanceof HubFault) throw toGraphQLError(err);
  if (err instanceof FailureError) {
    if (unionCarries(info.returnType, err.failure)) return toGraphQLResult(err.failure);
    throw toGraphQLError(err.failure);
  }
  throw err;
}

/** The `after` argument of every subscription that can resume. */
export const AFTER =
  'The `cursor` of the last event you received: first what came after it (from the events kept, 24 h by ' +
  'default), then live. Without it, live from now.';

/** A subscriber's stream options: its queue bound, and where it resumes (the `after` argument). */
export function streamOf(ctx: HubContext, args: Record<string, unknown>) {
  return { queue: ctx.eventQueue, after: (args.after as string | null | undefined) ?? null };
}

/**
 * Opens a subscription's event stream, turning a refusal (bad scope, no grant) into its GraphQL error,
 * and so a fault that ends the stream later (bus unreachable, expired cursor): graphql-ws sends that as
 * the operation's error message, with the code and the cursor to resume from in its extensions.
 */
export function openStream<T>(open: () => AsyncIterable<T>): AsyncIterable<T> {
  const mapped = (err: unknown) => (err instanceof HubFault ? toGraphQLError(err) : err);
  let source: AsyncIterable<T>;
  try {
    source = open();
  } catch (err) {
    throw mapped(err);
  }
  return {
    [Symbol.asyncIterator]: () => {
      const it = source[Symbol.asyncIterator]();
      return {
        next: () => it.next().catch((err: unknown) => Promise.reject(mapped(err))),
        return: () => it.return?.() ?? Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
}
