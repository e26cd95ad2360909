import {
  type AddressSpace,
  DataType,
  DataValue,
  LocalizedText,
  StatusCodes,
  type UAObject,
  type UAVariable,
  VariantArrayType,
} from 'node-opcua';
import type { JobOrderState } from '@plantgraph/schema';
import type { JobResponse, ListedJobOrder } from './job-control-commands.js';
import { RESOURCES_LIMIT, type ReceiverResources } from './job-control-resources.js';
import { JOB_STATE_NUMBER } from './job-order-plan.js';

/**
 * The receiver's `JobOrderList` and the provider's `JobOrderResponseList` (OPC 10031-4), read from the hub at each
 * read (node-opcua's refresh function, so every replica answers from the database, not from what it saw) as the
 * face's reading principal. Who may read them is decided by the work center's reader role on the variable: a
 * session holds it when its key may read the work center, and so every order placed there (docs).
 */
export interface JobOrderLists {
  orders(workCenter: string): Promise<ListedJobOrder[]>;
  responses(workCenter: string): Promise<JobResponse[]>;
  /** What the receiver lists as nameable in a job order (EquipmentID, PersonnelID, …; ADR 0046). */
  resources(workCenter: string): Promise<ReceiverResources>;
}

/** The list variables of one work center's receiver and provider, bound to `lists`; returns them. */
export function serveJobOrderLists(
  at: { space: AddressSpace; ns: number; path: string; receiver: UAObject; provider: UAObject },
  lists: JobOrderLists,
  warn: (message: string) => void,
): UAVariable[] {
  const { space, ns, path } = at;
  const orderType = space.findDataType('ISA95JobOrderDataType', ns)!;
  const entryType = space.findDataType('ISA95JobOrderAndStateDataType', ns)!;
  const orderList = at.receiver.getChildByName('JobOrderList', ns) as UAVariable;
  bindList(orderList, `JobOrderList of ${path}`, warn, async () =>
    (await lists.orders(path)).map((o) =>
      space.constructExtensionObject(entryType, {
        jobOrder: space.constructExtensionObject(orderType, {
          jobOrderID: o.jobOrderID,
          workMasterID: [
            {
              ID: o.workMaster,
              parameters: [{ ID: 'Version', value: { dataType: DataType.UInt32, value: o.version } }],
            },
          ],
          ...(o.plannedStart ? { startTime: o.plannedStart } : {}),
          ...(o.plannedEnd ? { endTime: o.plannedEnd } : {}),
          jobOrderParameters: [{ ID: 'Quantity', value: { dataType: DataType.Double, value: o.quantity } }],
        }),
        state: [jobState(space, ns, o.state)],
      }),
    ),
  );
  const responseList = at.provider.getChildByName('JobOrderResponseList', ns) as UAVariable;
  bindList(responseList, `JobOrderResponseList of ${path}`, warn, async () =>
    (await lists.responses(path)).map((r) => jobResponse(space, ns, r)),
  );
  return [orderList, responseList, ...serveReceiverResources(at, lists, warn)];
}

/** String-array variables of the receiver and the part of `ReceiverResources` each shows. */
const RESOURCE_VARIABLES = {
  EquipmentID: 'equipment',
  PersonnelID: 'personnel',
  MaterialClassID: 'materialClasses',
  MaterialDefinitionID: 'materialDefinitions',
  PhysicalAssetID: 'physicalAssets',
} as const;

/**
 * The receiver's other variables, from the hub's model at each read like the lists (so they follow changes), one
 * query for all of them within a second. MaxDownloadableJobOrders is the lists' bound: the hub stores any number.
 */
function serveReceiverResources(
  at: { space: AddressSpace; ns: number; path: string; receiver: UAObject },
  lists: JobOrderLists,
  warn: (message: string) => void,
): UAVariable[] {
  const { space, ns, path, receiver } = at;
  let recent: { at: number; read: Promise<ReceiverResources> } | null = null;
  const read = () => {
    if (!recent || performance.now() - recent.at > 1000)
      recent = { at: performance.now(), read: lists.resources(path) };
    const current = recent.read;
    current.catch(() => {
      if (recent?.read === current) recent = null;
    });
    return current;
  };
  const variables = Object.entries(RESOURCE_VARIABLES).map(([name, part]) => {
    const variable = receiver.getChildByName(name, ns) as UAVariable;
    bindList(variable, `${name} of ${path}`, warn, async () => (await read())[part], DataType.String);
    return variable;
  });
  const workMasterType = space.findDataType('ISA95WorkMasterDataType', ns)!;
  const workMaster = receiver.getChildByName('WorkMaster', ns) as UAVariable;
  bindList(workMaster, `WorkMaster of ${path}`, warn, async () =>
    (await read()).workMasters.map((w) =>
      space.constructExtensionObject(workMasterType, {
        ID: w.id,
        description: new LocalizedText({ text: w.description }),
        parameters: [parameter(space, ns, 'Version', w.version, DataType.UInt32)],
      }),
    ),
  );
  const max = receiver.getChildByName('MaxDownloadableJobOrders', ns) as UAVariable | null;
  max?.setValueFromSource({ dataType: DataType.UInt16, value: RESOURCES_LIMIT });
  return [...variables, workMaster, ...(max ? [max] : [])];
}

function bindList(
  variable: UAVariable,
  name: string,
  warn: (m: string) => void,
  read: () => Promise<unknown[]>,
  dataType = DataType.ExtensionObject,
) {
  variable.bindVariable(
    {
      refreshFunc(done) {
        read().then(
          (value) =>
            done(
              null,
              new DataValue({
                value: { dataType, arrayType: VariantArrayType.Array, value },
                statusCode: StatusCodes.Good,
                sourceTimestamp: new Date(),
                serverTimestamp: new Date(),
              }),
            ),
          (err: unknown) => {
            warn(`[opcua] ${name} could not be read: ${(err as Error).message}`);
            done(null, new DataValue({ statusCode: StatusCodes.BadResourceUnavailable }));
          },
        );
      },
    },
    true,
  );
}

/** `ISA95JobResponseDataType` of an order (the provider's list and its Request methods). */
export function jobResponse(space: AddressSpace, ns: number, r: JobResponse) {
  return space.constructExtensionObject(space.findDataType('ISA95JobResponseDataType', ns)!, {
    jobResponseID: `${r.jobOrderID}/response`,
    jobOrderID: r.jobOrderID,
    ...(r.startTime ? { startTime: r.startTime } : {}),
    ...(r.endTime ? { endTime: r.endTime } : {}),
    jobState: [jobState(space, ns, r.state)],
    jobResponseData: r.counts
      ? [parameter(space, ns, 'GoodQuantity', r.counts.good), parameter(space, ns, 'ScrapQuantity', r.counts.scrap)]
      : [],
    equipmentActuals: [
      space.constructExtensionObject(space.findDataType('ISA95EquipmentDataType', ns)!, {
        ID: r.equipment,
        equipmentUse: 'Production',
      }),
    ],
    // What the order produces; the good quantity counted so far when the response carries counts.
    materialActuals: [
      space.constructExtensionObject(space.findDataType('ISA95MaterialDataType', ns)!, {
        ...(r.produced.materialClass ? { materialClassID: r.produced.materialClass } : {}),
        materialDefinitionID: r.produced.definition,
        materialUse: 'Produced',
        description: [new LocalizedText({ text: `in ${r.produced.unit}` })],
        ...(r.counts ? { quantity: String(r.counts.good) } : {}),
      }),
    ],
  });
}

/** `ISA95StateDataType`: the state's name and the nodeset's number. */
export function jobState(space: AddressSpace, ns: number, s: JobOrderState) {
  return space.constructExtensionObject(space.findDataType('ISA95StateDataType', ns)!, {
    stateText: new LocalizedText({ text: s }),
    stateNumber: JOB_STATE_NUMBER[s],
  });
}

function parameter(space: AddressSpace, ns: number, id: string, value: number, dataType = DataType.Double) {
  return space.constructExtensionObject(space.findDataType('ISA95ParameterDataType', ns)!, {
    ID: id,
    value: { dataType, value },
  });
}
