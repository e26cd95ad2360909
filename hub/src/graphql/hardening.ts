import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { LimitsConfig } from '../config.js';

/**
 * Static limits on operation documents, checked after parsing and before anything executes
 * (so before any SQL). The cost depends on the variables too, so it is checked after them
 * (`operationCost`); in production, introspection is refused here as well.
 */
export function limitRules(limits: LimitsConfig, production: boolean): ValidationRule[] {
  // Report as validation errors (HTTP 400, listed with the others) instead of throwing.
  const report = {
    propagateOnRejection: false,
    onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(limitError(err))],
    exposeLimits: true,
  };
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, ...report }),
    maxAliasesRule({ n: limits.maxAliases, ...report }),
    maxDirectivesRule({ n: limits.maxDirectives, ...report }),
    maxStringLengthRule(MAX_STRING_LENGTH),
    ...(production ? [noIntrospectionRule] : []),
  ] as unknown as ValidationRule[];
}

/** Production hides the schema: `__schema` and `__type` are refused (`__typename` stays). */
const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      const message =
        'GraphQL introspection is not allowed in production: the schema is published with the hub ' +
        '(schema/schema.graphql), not served.';
      const extensions = { code: 'GRAPHQL_VALIDATION_FAILED' };
      context.reportError(new GraphQLError(message, { nodes: [node], extensions }));
    }
  },
});

/** Longest string a document or its variables may carry; keys and names are far shorter. */
export const MAX_STRING_LENGTH = 10_000;

function maxStringLengthRule(max: number): ValidationRule {
  return (context) => ({
    StringValue(node) {
      if (node.value.length > max)
        context.reportError(
          new GraphQLError(`A string of ${node.value.length} characters is over the limit of ${max}.`, {
            nodes: [node],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        );
    },
  });
}

/** How deeply variables may nest (input objects, lists, JSON values); real inputs stay far below. */
export const MAX_VARIABLE_DEPTH = 32;

/**
 * The string-length bound for variables, which validation does not see, and a bound on their
 * nesting, checked with an explicit stack: nothing recursive (coercion, the cost, logging) may
 * touch variables before this has passed, or 300,000 nested lists overflow the call stack.
 */
export function checkVariables(variables: unknown, maxLength = MAX_STRING_LENGTH, maxDepth = MAX_VARIABLE_DEPTH) {
  if (variables === null || variables === undefined) return null;
  if (typeof variables !== 'object' || Array.isArray(variables)) {
    return badVariables('Send "variables" as a JSON object of name → value.');
  }
  type Entry = [value: unknown, path: string, top: string, depth: number];
  const stack = Object.entries(variables).map(([k, v]): Entry => [v, `$.${k}`, `$.${k}`, 1]);
  while (stack.length) {
    const [value, path, top, depth] = stack.pop()!;
    if (typeof value === 'string' && value.length > maxLength) {
      return badVariables(`Variable ${path} is ${value.length} characters long, over the limit of ${maxLength}.`);
    }
    if (!value || typeof value !== 'object') continue;
    if (depth > maxDepth) {
      return badVariables(
        `Variable ${top} is nested deeper than ${maxDepth} levels, the limit. Send flatter input ` +
          "(see the README's limits).",
      );
    }
    for (const [k, v] of Object.entries(value)) stack.push([v, `${path}.${k}`, top, depth + 1]);
  }
  return null;
}

const badVariables = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/** The library prefixes "Syntax Error:"; say what the limit is for instead. */
function limitError(err: GraphQLError): GraphQLError {
  const message = err.message.replace(/^Syntax Error: /, '');
  return new GraphQLError(`${message} Ask for less in one operation (see the README's limits).`, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
  });
}

/** Hides "Did you mean …" hints in production, so the schema cannot be mapped by probing. */
export function maskSuggestions(message: string): string {
  return message.replace(/\s*Did you mean[^?]*\?/g, '');
}

/** An error message as clients see it, on every transport: limits said plainly, no hints in production. */
export function presentMessage(message: string, production: boolean): string {
  return production ? maskSuggestions(clarifyLimits(message)) : clarifyLimits(message);
}

/** graphql-js's token-limit message, said so that the caller knows it hit a limit. */
export function clarifyLimits(message: string): string {
  return message.replace(
    /^Syntax Error: Document contains more that (\d+) tokens\. Parsing aborted\.$/,
    "The document has more than $1 tokens, the limit. Send smaller operations (see the README's limits).",
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The optional persisted-operation safelist: a JSON array of documents (or an object of
 * sha256 → document). With it, only those documents run, sent in full or by hash
 * (`extensions.persistedQuery.sha256Hash`).
 */
export class Safelist {
  private constructor(private readonly documents: Map<string, string>) {}

  static load(file: string): Safelist {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`PLANTGRAPH_OPERATION_SAFELIST: cannot read ${file} as JSON (${(err as Error).message}).`);
    }
    const docs = Array.isArray(parsed) ? parsed : Object.values(parsed as Record<string, unknown>);
    if (!docs.every((d) => typeof d === 'string'))
      throw new Error(`PLANTGRAPH_OPERATION_SAFELIST: ${file} must hold a list of GraphQL documents (strings).`);
    return new Safelist(new Map((docs as string[]).map((d) => [sha256(d), d])));
  }

  get size(): number {
    return this.documents.size;
  }

  /** The document to run, or an error saying it is not allowed. */
  resolve(query: unknown, extensions: unknown): string | GraphQLError {
    const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    const key = typeof query === 'string' ? sha256(query) : typeof hash === 'string' ? hash : null;
    const document = key ? this.documents.get(key) : undefined;
    return (
      document ??
      new GraphQLError(
        "This operation is not on the hub's safelist. Add it to the file named by PLANTGRAPH_OPERATION_SAFELIST.",
        { extensions: { code: 'OPERATION_NOT_ALLOWED' } },
      )
    );
  }
}
