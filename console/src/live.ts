import { useEffect } from 'preact/hooks';
import { onReconnect, subscribe } from './api.js';

/** Any change of the orders at a scope: the screens that show orders read them again. */
export const ORDER_CHANGES = /* GraphQL */ `subscription OrderChanges($scope: String!) {
  workOrderChanged(scope: $scope) { number }
}`;

/** Reads now, again on each event of `subscription` at `scope`, and after each reconnect of the socket. */
export function useLive(read: () => void, subscription: string, scope: string): void {
  useEffect(() => {
    read();
    const stops = [subscribe(subscription, { scope }, read), onReconnect(read)];
    return () => {
      for (const stop of stops) stop();
    };
  }, [read, subscription, scope]);
}

/** A screen about orders at a scope, one of them chosen (in the address), and how to change the address. */
export type OrderScreenProps = { scope: string; number: string | null; set: (params: Record<string, string>) => void };
