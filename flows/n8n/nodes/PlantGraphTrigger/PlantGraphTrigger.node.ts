import type {
  IDataObject,
  ILoadOptionsFunctions,
  INodeExecutionData,
  INodePropertyOptions,
  INodeType,
  INodeTypeDescription,
  IPollFunctions,
  JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { equipmentPathOptions } from '../PlantGraph/load-options';
import { hubRequest } from '../PlantGraph/transport';
import { EVENT_LOG, type EventLogPage, eventItems, eventTypes, TRIGGER_EVENTS } from './events';

/** Pages of 100 events read per poll at most; the rest comes at the next poll, from the stored cursor. */
const MAX_PAGES = 20;

/**
 * Polls the hub's event log (`hubEventLog`) from a cursor kept in the workflow's static data: the hub
 * keeps its events 24 h, so a poll after an n8n restart or outage reads on where the last one stopped
 * (see docs/adr "n8n trigger"). n8n saves the cursor with the execution the poll emits.
 */
export class PlantGraphTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'PlantGraph Trigger',
    name: 'plantGraphTrigger',
    icon: { light: 'file:plantgraph.svg', dark: 'file:plantgraph.dark.svg' },
    group: ['trigger'],
    version: [1],
    subtitle: '={{$parameter["events"].join(", ")}}',
    description: 'Starts the workflow on alerts, work order and equipment state changes of a PlantGraph hub',
    defaults: { name: 'PlantGraph Trigger' },
    polling: true,
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'plantGraphApi', required: true }],
    properties: [
      {
        displayName: 'Events',
        name: 'events',
        type: 'multiOptions',
        required: true,
        options: Object.entries(TRIGGER_EVENTS)
          .map(([value, e]) => ({ name: e.name, value }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        default: ['alertRaised'],
      },
      {
        displayName: 'Scope Name or ID',
        name: 'scope',
        type: 'options',
        typeOptions: { loadOptionsMethod: 'getScopes' },
        required: true,
        default: '*',
        description:
          'Events at this equipment and below; * for everything the credential may read. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
      },
      {
        displayName: 'Minimum Alert Severity',
        name: 'minSeverity',
        type: 'options',
        options: [
          { name: 'Critical', value: 'Critical' },
          { name: 'High', value: 'High' },
          { name: 'Info', value: 'Info' },
          { name: 'Low', value: 'Low' },
          { name: 'Medium', value: 'Medium' },
        ],
        default: 'Info',
        description: 'Alert events below this severity are left out',
      },
    ],
  };

  methods = {
    loadOptions: {
      async getScopes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        const everything = { name: '* (Everything the Credential May Read)', value: '*' };
        return [everything, ...(await equipmentPathOptions.call(this))];
      },
    },
  };

  async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
    const state = this.getWorkflowStaticData('node') as { cursor?: string };
    const manual = this.getMode() === 'manual';
    const scope = String(this.getNodeParameter('scope', '*')).trim() || '*';
    const types = eventTypes(this.getNodeParameter('events', []) as string[]);
    const minSeverity = String(this.getNodeParameter('minSeverity', 'Info'));
    if (!types.length) throw new NodeOperationError(this.getNode(), 'Choose at least one event');
    if (!state.cursor) {
      // The first poll (at activation) starts at the hub's current position: later events are all delivered.
      const start = await readPage(this, scope, types, null);
      if (!manual) state.cursor = start.endCursor;
      return null;
    }
    let after = state.cursor;
    const items: IDataObject[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      let read: EventLogPage;
      try {
        read = await readPage(this, scope, types, after);
      } catch (error) {
        const hub = (error as { context?: { hub?: IDataObject } }).context?.hub;
        if (hub?.code !== 'CURSOR_EXPIRED' || typeof hub.oldestCursor !== 'string' || manual) {
          if (error instanceof NodeApiError) throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
          throw new NodeOperationError(this.getNode(), error as Error);
        }
        // Off longer than the hub keeps events: say so once, and go on from the oldest event kept.
        state.cursor = hub.oldestCursor;
        throw new NodeOperationError(this.getNode(), 'Some hub events were no longer kept when this trigger polled', {
          description:
            'n8n was stopped or the workflow inactive for longer than the hub keeps events (24 h by ' +
            'default). The trigger reads on from the oldest event kept; reload the current state by query.',
        });
      }
      items.push(...eventItems(read, minSeverity));
      after = read.endCursor;
      if (!read.hasMore) break;
    }
    if (!manual) state.cursor = after;
    return items.length ? [this.helpers.returnJsonArray(items)] : null;
  }
}

async function readPage(ctx: IPollFunctions, scope: string, types: string[], after: string | null) {
  const data = await hubRequest.call(ctx, EVENT_LOG, { scope, types, after, first: 100 });
  return data.hubEventLog as unknown as EventLogPage;
}
