import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  subscribe,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { LimitsConfig } from '../config.js';
import type { Principal } from '../core/principal.js';
import type { HubContext } from './context.js';
import type { Gate } from './gate.js';
import type { OperationChecker } from './operations.js';
import { AuthenticationError, AuthenticationThrottled } from '../auth/authenticator.js';
import { type Recipient, SharedSubscriptions } from './shared-subscriptions.js';
import { SocketFrames } from './socket-frames.js';
import type { KeySockets } from './key-sockets.js';

type Connection = {
  socket: WebSocket;
  request: IncomingMessage;
  principal?: Principal;
  operations?: number;
  expiry?: NodeJS.Timeout;
};

/** A subscription's context also says which shared execution it joins and where its frames go. */
type SharingContext = HubContext & { sharing?: { key: string; recipient: Recipient } };

const TOKEN_EXPIRED = 4401;
/** Too many: a subscriber too slow for its events, or an address with too many failed authentications. */
const TOO_MANY = 4429;

/**
 * graphql-ws on the hub's WebSocket server. The caller authenticates in `connection_init`
 * (`{ "authorization": "Bearer …" }`) before any operation; each operation passes the same gate
 * and the same `OperationChecker` as over HTTP, and its errors read the same; a socket closes when
 * its token expires, when it opens too many operations, when it reads too slowly to keep its
 * unsent bytes under `maxSocketBufferBytes`, or when its API key is revoked (`KeySockets`).
 * Subscriptions share executions and serialised results (`SharedSubscriptions`) and write their
 * frames here directly; graphql-ws runs each operation's lifecycle.
 */
export function serveGraphQLOverWebSocket(
  wss: WebSocketServer,
  schema: GraphQLSchema,
  gate: Gate,
  checker: OperationChecker,
  limits: LimitsConfig,
  contextFor: (p: Principal) => HubContext,
  keySockets?: KeySockets,
) {
  const shared = new SharedSubscriptions((result) =>
    result.errors?.length ? presented(result, checker) : graphqlWsPayload(result),
  );
  const corked = new Set<Duplex>();
  /** One write per socket per tick for what graphql-ws sends itself (answers to queries over the socket). */
  const cork = (socket: WebSocket) => {
    const raw = (socket as WebSocket & { _socket?: Duplex })._socket;
    if (raw && !corked.has(raw)) {
      corked.add(raw);
      raw.cork();
      setImmediate(() => {
        corked.delete(raw);
        raw.uncork();
      });
    }
  };
  /** A subscriber that does not read would grow the hub's memory without bound. */
  const checkBacklog = (socket: WebSocket) => {
    if (socket.bufferedAmount > limits.maxSocketBufferBytes) closeSlow(socket, `${socket.bufferedAmount} bytes unsent`);
  };
  /** Shared results' `next` frames, one write per socket per turn of the event loop (socket-frames.ts). */
  const frames = new SocketFrames(checkBacklog);
  /**
   * A shared result's `next` frame, written without graphql-ws's per-subscriber serialisation
   * (shared-subscriptions.ts): the cached prefix naming the operation, the result's bytes (encoded
   * once for all its subscribers) and a brace, gathered with the socket's other frames of this turn.
   */
  const recipient = (socket: WebSocket, id: string): Recipient => {
    const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
    frames.watch(socket);
    return { id, next: (result) => frames.add(socket, prefix, result) };
  };
  return useServer<Record<string, unknown> | undefined, Connection>(
    {
      schema,
      subscribe: (args) => {
        const { sharing } = args.contextValue as SharingContext;
        return sharing ? shared.subscribe(sharing.key, args, sharing.recipient) : subscribe(args);
      },
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = (params.authorization ??
          params.Authorization ??
          ctx.extra.request.headers.authorization) as string | undefined;
        try {
          const principal = await gate.admit(authorization, ctx.extra.request);
          ctx.extra.principal = principal;
          ctx.extra.operations = 0;
          keySockets?.add(principal, ctx.extra.socket); // closed when the key is revoked (key-sockets.ts)
          if (principal.expiresAt) {
            const socket = ctx.extra.socket;
            ctx.extra.expiry = setTimeout(
              () => socket.close(TOKEN_EXPIRED, 'Token expired: reconnect with a fresh token'),
              Math.max(0, principal.expiresAt.getTime() - Date.now()),
            );
            socket.once('close', () => clearTimeout(ctx.extra.expiry));
          }
          return true;
        } catch (err) {
          if (err instanceof AuthenticationThrottled) ctx.extra.socket.close(TOO_MANY, err.message.slice(0, 120));
          else {
            console.warn(`[auth] WebSocket connection refused: ${(err as Error).message}`);
            // graphql-ws would say only "Forbidden"; the reason says what to do (a close reason holds 123 bytes).
            if (err instanceof AuthenticationError)
              ctx.extra.socket.close(CloseCode.Forbidden, closeReason(err.briefly));
          }
          return false;
        }
      },
      onSubscribe: (ctx, id, payload) => {
        const principal = ctx.extra.principal!;
        const limited = gate.limit(principal);
        if (limited) return [limited];
        if (ctx.extra.operations! >= limits.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(
              `At most ${limits.maxSubscriptionsPerSocket} operations per connection; complete some or open another connection.`,
              { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
            ),
          ];
        }
        const source = gate.document(payload.query, payload.extensions);
        if (source instanceof GraphQLError) return [source];
        const { document, errors } = checker.check(source, payload.variables, payload.operationName);
        if (errors) return errors;
        ctx.extra.operations!++;
        const contextValue: SharingContext = Object.assign(contextFor(principal), {
          // The execution's own queue in the event feed: past it, the feed reads from the outbox.
          eventQueue: { limit: limits.maxQueuedEvents },
          sharing: {
            key: SharedSubscriptions.key(principal, source, payload.variables, payload.operationName),
            recipient: recipient(ctx.extra.socket, id),
          },
        });
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue,
        };
      },
      onComplete: (ctx) => {
        ctx.extra.operations = Math.max(0, (ctx.extra.operations ?? 1) - 1);
      },
      onNext: (ctx, _id, _payload, _args, result) => {
        // Queries and mutations over the socket (subscriptions write their frames themselves, above).
        cork(ctx.extra.socket);
        checkBacklog(ctx.extra.socket);
        // Execution errors read as over HTTP (Apollo formats those with the same function).
        return result.errors?.length ? presented(result, checker) : undefined;
      },
    },
    wss,
  );
}

/** A close reason: at most 123 bytes of UTF-8. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= 123
    ? text
    : `${bytes
        .subarray(0, 120)
        .toString()
        .replace(/\uFFFD$/, '')}…`;
}

function closeSlow(socket: WebSocket, backlog: string): void {
  console.warn(`[ws] closing a subscriber that does not keep up: ${backlog}`);
  socket.close(TOO_MANY, 'Subscriber too slow: events piled up unread');
}

/** A result as graphql-ws itself would send it (errors left out when there are none). */
function graphqlWsPayload(result: ExecutionResult): FormattedExecutionResult {
  const { errors, ...rest } = result;
  return errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest;
}

function presented(result: ExecutionResult, checker: OperationChecker): FormattedExecutionResult {
  return { ...result, errors: result.errors!.map((e) => checker.present(e).toJSON()) };
}

export { CloseCode };
