import { GraphQLError } from 'graphql';
import { Permission } from '@plantgraph/schema';
import type { MessageBus, QueueOptions } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../auth/principal.js';
import { forbidden } from '../../auth/visibility.js';
import { isEquipmentPath } from './keys.js';

/**
 * Events on `patterns` for a subscriber, as GraphQL values. The requested scope may reach beyond
 * the principal's own, so each event is delivered only if the principal may read its path.
 */
export function scopedSubscription<E extends { path: string }, T>(
  bus: MessageBus, principal: Principal, scope: string, patterns: (scope: string) => string[], what: string, toValue: (event: E) => T, queue: QueueOptions = {},
): AsyncIterable<T> {
  if (!isEquipmentPath(scope)) {
    throw new GraphQLError(`scope: "${scope}" is not an equipment path; give a path prefix such as "acme" or "acme/berlin/assembly".`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  if (!principal.canAnywhere(Permission.Read)) throw forbidden(principal, `subscribe to ${what}`);
  const subscription = bus.subscribe(patterns(scope), queue);
  return {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          const r = await subscription.next();
          if (r.done) return { done: true, value: undefined };
          const event = r.value.data as E;
          if (principal.can(Permission.Read, event.path)) return { done: false, value: toValue(event) };
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        subscription.close();
        return { done: true, value: undefined };
      },
    }),
  };
}
