import type {
  IDataObject,
  IExecuteFunctions,
  ILoadOptionsFunctions,
  INodeExecutionData,
  INodePropertyOptions,
  INodeType,
  INodeTypeDescription,
  JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { alertFields, operationProperties, resourceProperty, workOrderFields } from './descriptions';
import { equipmentFields, graphqlFields, materialLotFields, signalFields } from './descriptions-more';
import { customOperation, genealogyItems, OPERATIONS, type Param } from './operations';
import { hubRequest, runOperation } from './transport';
import { enumOptions, equipmentPathOptions } from './load-options';

/** Collections whose members the operations read as if they were top-level parameters. */
const COLLECTIONS = ['filters', 'additionalFields'];

export class PlantGraph implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'PlantGraph',
    name: 'plantGraph',
    icon: { light: 'file:plantgraph.svg', dark: 'file:plantgraph.dark.svg' },
    group: ['transform'],
    version: [1],
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: 'Work orders, alerts, equipment, signals and material lots of a PlantGraph hub',
    defaults: { name: 'PlantGraph' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    usableAsTool: true,
    credentials: [{ name: 'plantGraphApi', required: true }],
    properties: [
      resourceProperty,
      ...operationProperties,
      ...workOrderFields,
      ...alertFields,
      ...equipmentFields,
      ...signalFields,
      ...materialLotFields,
      ...graphqlFields,
    ],
  };

  methods = {
    loadOptions: {
      async getEquipmentPaths(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        return equipmentPathOptions.call(this);
      },
      async getAlertSeverities(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        return enumOptions.call(this, 'AlertSeverity');
      },
      async getAlertStates(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        return enumOptions.call(this, 'AlertState');
      },
      async getWorkOrderStates(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        return enumOptions.call(this, 'WorkOrderState');
      },
      async getEquipmentStates(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        return enumOptions.call(this, 'EquipmentState');
      },
    },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const out: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        const p = parameters(this, i);
        const resource = String(p('resource'));
        const operation = String(p('operation'));
        let json: IDataObject[];
        if (resource === 'graphql') {
          const op = customOperation(p);
          json = [await hubRequest.call(this, op.document, op.variables(p), i)];
        } else {
          const op = OPERATIONS[resource]?.[operation];
          if (!op) throw new NodeOperationError(this.getNode(), `Unknown operation ${resource}/${operation}`);
          json = await runOperation.call(this, op, p, i);
          if (resource === 'materialLot' && operation === 'genealogy')
            json = json.flatMap((lot) => genealogyItems(lot, String(p('direction', 'up'))));
        }
        out.push(...json.map((j) => ({ json: j, pairedItem: { item: i } })));
      } catch (error) {
        if (!this.continueOnFail()) {
          // Both hand back an error that already is one of theirs, with the hub's message and code.
          if (error instanceof NodeApiError) throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
          throw new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
        }
        const e = error as { message?: string; description?: string; context?: IDataObject };
        out.push({ json: { error: e.message, description: e.description ?? null }, pairedItem: { item: i } });
      }
    }
    return [out];
  }
}

/** Parameters of item `i`, with the members of the node's collections read like top-level ones. */
function parameters(ctx: IExecuteFunctions, i: number): Param {
  const collections = COLLECTIONS.map((c) => ctx.getNodeParameter(c, i, {}) as IDataObject);
  return (name, fallback) => {
    for (const c of collections) if (c[name] !== undefined) return c[name];
    return ctx.getNodeParameter(name, i, fallback as never);
  };
}
