import { Permission } from '@plantgraph/schema';
import type { QueueOptions } from '../infrastructure/bus/message-bus.js';
import type { EventSource } from './event-feed.js';
import { decodeCursor } from './event-outbox.js';
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
  stream?: StreamOptions;
}

/** How a subscriber reads its stream: its queue's bound, and the cursor of the last event it saw, to resume after. */
export interface StreamOptions {
  queue?: QueueOptions;
  after?: string | null;
}

/** The feed's options for a subscriber's stream (the cursor checked and decoded). */
export function feedOptions(stream: StreamOptions = {}) {
  return { queue: stream.queue, after: stream.after ? decodeCursor(stream.after) : null };
}

/**
 * Events at `scope` and below for a subscriber, as the adapter's values. The requested scope may reach
 * beyond the principal's own, so each event is delivered only if the principal may read its path.
 */
export function scopedSubscription<E extends { path: string }, T>(
  events: EventSource,
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
  const subscription = events.subscribe(options.patterns(scope), feedOptions(options.stream));
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
