import type { ApolloServerPlugin } from '@apollo/server';
import { SpanStatusCode } from '@opentelemetry/api';
import type { HubMetrics } from '../observability/metrics.js';
import type { HubTracing } from '../observability/tracing.js';

/**
 * Times each GraphQL operation Apollo runs (queries and mutations over HTTP) and counts its
 * errors by code, labelled by operation name. Subscriptions live on graphql-ws and are counted as
 * sockets; operations refused before they reach Apollo show in the HTTP histogram with their status.
 */
export function operationMetrics<Context extends object>(metrics: HubMetrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, response }) {
          // The errors as the client gets them (request and field errors alike, each with its code).
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          const seconds = (performance.now() - started) / 1000;
          metrics.observeOperation(operationName, operation?.operation ?? 'unknown', seconds, codes);
        },
      };
    },
  };
}

/** Names the request's span after the GraphQL operation it runs, and marks it failed on errors. */
export function operationTracing<Context extends object>(tracing: HubTracing): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operationName, operation }) {
          const span = tracing.currentSpan();
          if (!operation) return;
          span?.updateName(`${operation.operation} ${operationName ?? 'anonymous'}`);
          span?.setAttributes({
            'graphql.operation.type': operation.operation,
            'graphql.operation.name': operationName ?? '',
          });
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          if (errors.length)
            tracing.currentSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]!.message.slice(0, 200) });
        },
      };
    },
  };
}
