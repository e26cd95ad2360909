import type { IDataObject } from 'n8n-workflow';

/** What the trigger offers, as the hub's event types (the `type` of `hubEvents`). */
export const TRIGGER_EVENTS: Record<string, { name: string; types: string[] }> = {
  alertRaised: { name: 'Alert Raised', types: ['AlertRaised'] },
  alertEscalated: { name: 'Alert Escalated', types: ['AlertEscalated'] },
  alertAcknowledged: { name: 'Alert Acknowledged', types: ['AlertAcknowledged'] },
  alertCleared: { name: 'Alert Cleared', types: ['AlertCleared'] },
  equipmentStateChanged: { name: 'Equipment State Changed', types: ['EquipmentStateChanged'] },
  workOrderChanged: {
    name: 'Work Order Changed',
    types: [
      'WorkOrderCreated',
      'WorkOrderUpdated',
      'WorkOrderReleased',
      'WorkOrderLineCleared',
      'WorkOrderStarted',
      'WorkOrderPaused',
      'WorkOrderResumed',
      'WorkOrderCompleted',
      'WorkOrderSubmittedForReview',
      'WorkOrderReleasedToStock',
      'WorkOrderRejected',
      'WorkOrderCancelled',
    ],
  },
};

const SEVERITY_RANK: Record<string, number> = { Info: 0, Low: 1, Medium: 2, High: 3, Critical: 4 };

export const EVENT_LOG = `query ($scope: String!, $types: [String!], $after: String, $first: Int!) {
  hubEventLog(scope: $scope, types: $types, after: $after, first: $first) {
    events { type path subject data cursor } endCursor hasMore } }`;

export interface EventLogPage {
  events: { type: string; path: string | null; subject: string; data: string; cursor: string | null }[];
  endCursor: string;
  hasMore: boolean;
}

/** The hub's event types for the chosen trigger events. */
export function eventTypes(events: string[]): string[] {
  return [...new Set(events.flatMap((e) => TRIGGER_EVENTS[e]?.types ?? []))];
}

/**
 * An event as the workflow's item: the event's own fields (an alert's `id`, `severity`, `title`; an order's
 * `number`, `state` …) with its type, path and cursor; alert events below `minSeverity` are left out.
 */
export function eventItems(page: EventLogPage, minSeverity: string): IDataObject[] {
  const floor = SEVERITY_RANK[minSeverity] ?? 0;
  return page.events.flatMap((e) => {
    const data = JSON.parse(e.data) as IDataObject;
    if (typeof data.severity === 'string' && (SEVERITY_RANK[data.severity] ?? 0) < floor) return [];
    return [{ ...data, type: e.type, path: e.path, cursor: e.cursor, subject: e.subject }];
  });
}
