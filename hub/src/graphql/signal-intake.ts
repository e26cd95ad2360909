import { Permission } from '@plantgraph/schema';
import type { Principal } from '../core/principal.js';
import { isFailure } from '../core/failures.js';
import { HubFault } from '../core/faults.js';
import { forbidden } from '../core/visibility.js';
import type { Database } from '../infrastructure/database/database.js';
import type { SignalService } from '../modules/signals/signals.service.js';
import { signalInputsOf } from '../modules/signals/signal-inputs.js';
import type { OperationResult } from './execute.js';
import type { Gate } from './gate.js';
import { toGraphQLError } from './failures.js';

/** Signals from a connector in the hub's process, answered as `publishSignals` answers (`OperationResult`). */
export type SignalIntake = (principal: Principal, signals: readonly unknown[]) => Promise<OperationResult>;

/**
 * The door beside GraphQL for connectors the hub runs: the doors `publishSignals` has, in its order,
 * without a document to parse and every signal object to coerce. The principal's rate limit (one
 * call, as one operation), the field's guard (SetEquipmentState somewhere, else Forbidden), the
 * input's types (`signalInputsOf`), then `SignalService.publish`: parsing as the ingest parses,
 * scope, existence, and the same (source, sequence) message ids. Refusals come back as the
 * mutation's result types; faults as errors, as a GraphQL client would get them.
 */
export function signalIntake(db: Database, signals: SignalService, gate: Pick<Gate, 'limit'>): SignalIntake {
  return async (principal, values) => {
    const limited = gate.limit(principal);
    if (limited) return { errors: [{ message: limited.message, extensions: { ...limited.extensions } }] };
    try {
      if (!principal.canAnywhere(Permission.SetEquipmentState))
        throw forbidden(principal, `use Mutation.publishSignals (needs ${Permission.SetEquipmentState})`);
      const inputs = signalInputsOf(values);
      const outcome = isFailure(inputs) ? inputs : await signals.publish(db.em.fork(), principal, inputs);
      const answer = isFailure(outcome)
        ? { __typename: outcome.code, message: outcome.message, ...outcome.details }
        : { __typename: 'SignalsPublished', ...outcome };
      return { data: { publishSignals: answer } };
    } catch (err) {
      if (!(err instanceof HubFault)) return { errors: [{ message: (err as Error).message }] };
      const { message, extensions } = toGraphQLError(err);
      return { errors: [{ message, extensions: { ...extensions } }] };
    }
  };
}
