import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Principal } from '../../core/principal.js';
import { type CompiledFields, compilePlan, DECLINE, type ReadPlan } from './plan.js';

/** Plans kept, by operation text and name: clients send the same few operations again and again. */
const CACHED_PLANS = 500;

/** Runs a plan's statement; its one row's one column is the `data` JSON text. */
export type RunStatement = (sql: string, parameters: unknown[]) => Promise<{ data: string }[]>;

/** An operation after the checks every transport shares (`OperationChecker`). */
export interface CheckedOperation {
  source: string;
  operationName: string | null;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Coerced as execution coerces them. */
  variables: Record<string, unknown>;
}

/**
 * Answers read-only operations with one SQL statement that builds their JSON in the database
 * (ADR 0031): compiled once per operation text and name, the principal's scope and the arguments
 * bound per request. Returns null whenever the resolvers must answer instead: an operation or field
 * it does not compile, a field the principal may not use (the resolvers refuse it as ever),
 * arguments the resolvers would refuse (a page size out of range, a foreign cursor, a filter).
 */
export class CompiledReads {
  readonly #plans = new Map<string, ReadPlan | null>();
  /** Operations answered in SQL so far (tests tell the two paths apart by it). */
  answered = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fields: CompiledFields,
    private readonly run: RunStatement,
  ) {}

  /** The response body (`{"data":…}` as Apollo writes it), or null. */
  async answer(principal: Principal, op: CheckedOperation): Promise<string | null> {
    const plan = this.plan(op);
    if (!plan) return null;
    if (!plan.allows.every((allow) => allow.some((p) => principal.canAnywhere(p)))) return null;
    const bindings = { principal, variables: op.variables, args: new Map() };
    if (!plan.checks.every((check) => check(bindings))) return null;
    const parameters: unknown[] = [];
    for (const slot of plan.slots) {
      const value = slot(bindings);
      if (value === DECLINE) return null;
      parameters.push(value);
    }
    const [row] = await this.run(plan.sql, parameters);
    this.answered++;
    return `{"data":${row!.data}}\n`;
  }

  /** The operation's plan, compiled on first use; null when it does not compile. */
  plan(op: Pick<CheckedOperation, 'source' | 'operationName' | 'document' | 'operation'>): ReadPlan | null {
    const key = `${op.operationName ?? ''}\n${op.source}`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = compilePlan(this.schema, this.fields, op.document, op.operation);
      this.#plans.set(key, plan);
      if (this.#plans.size > CACHED_PLANS) this.#plans.delete(this.#plans.keys().next().value!);
    }
    return plan;
  }
}

/** What the HTTP path is told of an operation answered in SQL, as Apollo's plugins are told of theirs. */
export interface ReadObservers {
  /** Times and counts it (the operation metrics). */
  answered(operationName: string | null, seconds: number): void;
  /** Names the request's span after the operation (tracing). */
  named?(operationName: string | null): void;
  /** A statement that failed: logged, and the resolvers answer the operation (with their own errors, if any). */
  failed(error: Error): void;
}

/** `CompiledReads` for the HTTP path: observed as Apollo's operations are; a failed statement falls back. */
export function observedReads(reads: CompiledReads, observers: ReadObservers) {
  return {
    async answer(principal: Principal, op: CheckedOperation): Promise<string | null> {
      const started = performance.now();
      let body: string | null;
      try {
        body = await reads.answer(principal, op);
      } catch (err) {
        observers.failed(err as Error);
        return null;
      }
      if (body === null) return null;
      const name = op.operation.name?.value ?? null;
      observers.named?.(name);
      observers.answered(name, (performance.now() - started) / 1000);
      return body;
    },
  };
}
