/**
 * What the n8n nodes use of n8n-workflow at run time, for the root test run: n8n-workflow is under the
 * Sustainable Use License, so the hub's install never has it (only flows/n8n's own install does). The
 * error classes keep n8n's behaviour the nodes rely on: wrapping one of theirs hands it back unchanged,
 * and `context` carries extra data. The real classes are exercised by `npm run test:n8n` in a real n8n.
 */
type Node = { name: string };
type Options = { message?: string; description?: string; httpCode?: string; itemIndex?: number };

export const NodeConnectionTypes = { Main: 'main' } as const;

export class NodeOperationError extends Error {
  context: Record<string, unknown> = {};
  description?: string;
  constructor(
    readonly node: Node,
    error: Error | string,
    options: Options = {},
  ) {
    super(options.message ?? (typeof error === 'string' ? error : error.message));
    // biome-ignore lint/correctness/noConstructorReturn: n8n-workflow's own behaviour, which the nodes rely on.
    if (error instanceof NodeOperationError) return error;
    this.description = options.description;
    if (options.itemIndex !== undefined) this.context.itemIndex = options.itemIndex;
  }
}

export class NodeApiError extends Error {
  context: Record<string, unknown> = {};
  description?: string;
  httpCode?: string;
  constructor(
    readonly node: Node,
    readonly errorResponse: Record<string, unknown>,
    options: Options = {},
  ) {
    super(options.message ?? String(errorResponse.message ?? 'NodeApiError'));
    // biome-ignore lint/correctness/noConstructorReturn: n8n-workflow's own behaviour, which the nodes rely on.
    if (errorResponse instanceof NodeApiError) return errorResponse;
    this.description = options.description;
    this.httpCode = options.httpCode;
    if (options.itemIndex !== undefined) this.context.itemIndex = options.itemIndex;
  }
}
