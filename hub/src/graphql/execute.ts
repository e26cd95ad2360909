import { execute, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Principal } from '../core/principal.js';
import type { HubContext } from './context.js';
import type { Gate } from './gate.js';
import type { OperationChecker } from './operations.js';

/** An operation's answer as a client sees it (the GraphQL response shape). */
export interface OperationResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Runs one GraphQL operation in process as `principal` (for the embedded flows). */
export type ExecuteOperation = (
  principal: Principal,
  query: string,
  variables?: Record<string, unknown>,
) => Promise<OperationResult>;

const answer = (errors: readonly GraphQLError[]): OperationResult['errors'] =>
  errors.map((e) => ({
    message: e.message,
    ...(e.extensions && Object.keys(e.extensions).length
      ? { extensions: e.extensions as Record<string, unknown> }
      : {}),
  }));

/**
 * Runs operations in process through the doors every remote client passes after authentication:
 * the principal's rate limit and the safelist (`Gate`), then validation with the limit rules and
 * the cost (`OperationChecker`). A refused operation answers with the errors a remote client gets.
 */
export function operationExecutor(
  schema: GraphQLSchema,
  contextFor: (principal: Principal) => HubContext,
  checker: OperationChecker,
  gate: Pick<Gate, 'limit' | 'document'>,
): ExecuteOperation {
  return async (principal, query, variables) => {
    const limited = gate.limit(principal);
    if (limited) return { errors: answer([limited]) };
    const source = gate.document(query, undefined);
    if (typeof source !== 'string') return { errors: answer([source]) };
    const checked = checker.check(source, variables, undefined);
    if (checked.errors) return { errors: answer(checked.errors) };
    const result = await execute({
      schema,
      document: checked.document,
      variableValues: variables,
      contextValue: contextFor(principal),
    });
    const response: OperationResult = { data: result.data as Record<string, unknown> | null | undefined };
    if (result.errors?.length) response.errors = answer(result.errors);
    return response;
  };
}
