import { graphql, type GraphQLSchema } from 'graphql';
import type { Principal } from '../core/principal.js';
import type { HubContext } from './context.js';

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

export function operationExecutor(
  schema: GraphQLSchema,
  contextFor: (principal: Principal) => HubContext,
): ExecuteOperation {
  return async (principal, query, variables) => {
    const result = await graphql({
      schema,
      source: query,
      variableValues: variables,
      contextValue: contextFor(principal),
    });
    const response: OperationResult = { data: result.data as Record<string, unknown> | null | undefined };
    if (result.errors?.length) {
      response.errors = result.errors.map((e) => ({
        message: e.message,
        ...(e.extensions && Object.keys(e.extensions).length
          ? { extensions: e.extensions as Record<string, unknown> }
          : {}),
      }));
    }
    return response;
  };
}
