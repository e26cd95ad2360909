import { Permission } from '@plantgraph/schema';
import type { MessageBus, QueueOptions } from '../infrastructure/bus/message-bus.js';
import type { Principal } from './principal.js';
import { forbidden } from './visibility.js';
import { isEquipmentPath } from './keys.js';
import { badUserInput } from './faults.js';

export interface ScopedSubscriptionOptions<E, T> {
  /** The subject patterns covering the scope. */
  patterns: (scope: string) => string[];
  /** What is subscribed to, for messages. */
  what: string;
  toValue: (event: E) => T;
  /** Further filtering of events (e.g. a minimum severity). */
  accept?: (event: E) => boolean;
  queue?: QueueOptions;
}

/**
 * Events at `scope` and below for a subscriber, as the adapter's values. The requested scope may reach
 * beyond the principal's own, so each event is delivered only if the principal may read its path.
 */
export function scopedSubscription<E extends { path: string }, T>(
  bus: MessageBus,
  principal: Principal,
  scope: string,
  options: ScopedSubscriptionOptions<E, T>,
): AsyncIterable<T> {
  if (!isEquipmentPath(scope)) {
    throw badUserInput(
      `scope: "${scope}" is not an equipment path; give a path prefix such as "acme" or "acme/berlin/assembly".`,
    );
  }
  if (!principal.canAnywhere(Permission.Read)) throw forbidden(principal, `subscribe to ${options.what}`);
  const subscription = bus.subscribe(options.patterns(scope), options.queue);
  return {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          const r = await subscription.next();
          if (r.done) return { done: true, value: undefined };
          const event = r.value.data as E;
          if (principal.can(Permission.Read, event.path) && (options.accept?.(event) ?? true))
            return { done: false, value: options.toValue(event) };
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        subscription.close();
        return { done: true, value: undefined };
      },
    }),
  };
}
