import {
  type DocumentNode,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import type { LimitsConfig } from '../config.js';
import { operationCost } from './cost.js';
import { checkVariables, limitRules, presentMessage } from './hardening.js';

export type Checked =
  | {
      document: DocumentNode;
      /** The operation to run, and its variables coerced as execution coerces them (set after the full check). */
      operation?: OperationDefinitionNode;
      variables?: Record<string, unknown>;
      errors?: undefined;
    }
  | { errors: GraphQLError[]; document?: undefined };

/** Valid documents kept, by their text: clients and connectors send the same few operations again and again. */
const CACHED_DOCUMENTS = 500;
/** The name of a document's first operation, for refusals of documents that did not parse. */
const NAMED = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;
/** Longer texts are checked every time rather than kept. */
const CACHED_LENGTH = 20_000;

/**
 * The one path every operation takes before it runs, over HTTP and over WebSocket alike: the
 * variables' shape (iteratively, before anything recursive sees them), parsing with the token
 * limit, validation with the limit rules (and, in production, without introspection), the
 * variables coerced as execution will coerce them, and the cost computed with them. Errors come
 * back as clients must see them: coded, limits said plainly, and no "Did you mean" in production.
 */
export class OperationChecker {
  /** The validation rules beyond graphql-js's own (Apollo applies the same to what it parses). */
  readonly rules: ValidationRule[];
  /** Parsed and validated documents by text, least recently used first (a parse and a validation per call were
   * a good part of an in-process connector call's CPU). Documents are not changed by execution. */
  readonly #valid = new Map<string, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: LimitsConfig,
    private readonly production: boolean,
    /** Told of every refused operation (the metrics count its errors by code). */
    private readonly onRefused: (operationName: string | null, codes: string[]) => void = () => {},
  ) {
    this.rules = limitRules(limits, production);
  }

  check(source: string, variables: unknown, operationName: unknown): Checked {
    const checked = this.#check(source, variables, operationName);
    if (checked.errors) {
      const name = typeof operationName === 'string' ? operationName : (NAMED.exec(source)?.[1] ?? null);
      this.onRefused(
        name,
        checked.errors.map((e) => String(e.extensions.code)),
      );
    }
    return checked;
  }

  #check(source: string, variables: unknown, operationName: unknown): Checked {
    const badInput = checkVariables(variables);
    if (badInput) return this.#refuse([badInput]);
    const checked = this.#document(source);
    if (checked.errors) return checked;
    const { document } = checked;
    if (operationName != null && typeof operationName !== 'string') {
      return this.#refuse([new GraphQLError('"operationName" must be a string.')], 'BAD_REQUEST');
    }
    const operation = getOperationAST(document, operationName ?? undefined);
    if (!operation) {
      const message = operationName
        ? `Unknown operation named "${operationName}".`
        : 'Must provide operation name if query contains multiple operations.';
      return this.#refuse([new GraphQLError(message)], 'OPERATION_RESOLUTION_FAILURE');
    }
    const inputs = (variables ?? {}) as Record<string, unknown>;
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], inputs, { maxErrors: 20 });
    if (coerced.errors) return this.#refuse(coerced.errors, 'BAD_USER_INPUT');
    const cost = operationCost(this.schema, document, operation, coerced.coerced);
    if (cost > this.limits.maxCost) {
      const message =
        `Query Cost limit of ${this.limits.maxCost} exceeded, found ${Math.round(cost)}. ` +
        "Ask for less in one operation, e.g. smaller pages (see the README's limits).";
      return this.#refuse([new GraphQLError(message)], 'GRAPHQL_VALIDATION_FAILED');
    }
    return { document, operation, variables: coerced.coerced };
  }

  /** The text parsed (with the token limit) and validated, or the kept document for the same text. */
  #document(source: string): Checked {
    const kept = this.#valid.get(source);
    if (kept) {
      this.#valid.delete(source); // to the end: most recently used
      this.#valid.set(source, kept);
      return { document: kept };
    }
    let document: DocumentNode;
    try {
      document = parse(source, { maxTokens: this.limits.maxTokens });
    } catch (err) {
      return this.#refuse([err as GraphQLError], 'GRAPHQL_PARSE_FAILED');
    }
    const invalid = validate(this.schema, document, [...specifiedRules, ...this.rules]);
    if (invalid.length) return this.#refuse(invalid, 'GRAPHQL_VALIDATION_FAILED');
    if (source.length <= CACHED_LENGTH) {
      this.#valid.set(source, document);
      if (this.#valid.size > CACHED_DOCUMENTS) this.#valid.delete(this.#valid.keys().next().value!);
    }
    return { document };
  }

  /** An error as every transport shows it. */
  present(error: GraphQLError, code?: string): GraphQLError {
    return new GraphQLError(presentMessage(error.message, this.production), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...error.extensions, code: error.extensions.code ?? code ?? 'BAD_REQUEST' },
    });
  }

  #refuse(errors: readonly GraphQLError[], code?: string): Checked {
    return { errors: errors.map((e) => this.present(e, code)) };
  }
}
