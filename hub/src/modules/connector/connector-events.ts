import type { ConnectorDelivery, ConnectorImport, ConnectorInstance } from '@plantgraph/schema';
import type { Work } from '../../core/unit-of-work.js';
import type { Subjects } from '../../subjects.js';

/** What subscribers of `connectorChanged` receive: an instance, a delivery or an import changed. */
export interface ConnectorChange {
  /** Past tense, e.g. `ConnectorConfigured`, `ConnectorDeliveryDelivered`, `ConnectorDeliveryDeadLettered`. */
  type: string;
  connector: string;
  /** The connector's scope, which decides who may see the change. */
  path: string;
  /** The delivery or import that changed, if one did. */
  id: string | null;
  state: string | null;
  at: string;
  actor: string;
}

/**
 * Audits a change of a connector record and announces it on the connector's scope after the commit.
 * One builder, so every change reaches the audit trail and the subscription alike.
 */
export function connectorChanged(
  work: Work,
  subjects: Subjects,
  type: string,
  record: ConnectorInstance | ConnectorDelivery | ConnectorImport,
  before: unknown,
  reason?: string | null,
): void {
  work.audit(type, record, before, reason);
  const isInstance = 'name' in record;
  const change: ConnectorChange = {
    type,
    connector: isInstance ? record.name : record.connector,
    path: record.scope,
    id: isInstance ? null : record.id,
    state: 'state' in record ? record.state : 'outcome' in record ? record.outcome : record.health,
    at: new Date().toISOString(),
    actor: work.actor,
  };
  work.emit({ subject: subjects.connectorChanged(record.scope), type, data: { ...change } });
}
