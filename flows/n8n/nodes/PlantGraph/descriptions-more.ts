import type { INodeProperties } from 'n8n-workflow';

const on = (resource: string, operation: string[]) => ({ show: { resource: [resource], operation } });
const signalField = (field: Omit<INodeProperties, 'displayOptions'>, kinds: string[]): INodeProperties => ({
  ...field,
  displayOptions: { show: { resource: ['signal'], operation: ['publish'], kind: kinds } },
});

export const equipmentFields: INodeProperties[] = [
  {
    displayName: 'Equipment Path Name or ID',
    name: 'path',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getEquipmentPaths' },
    required: true,
    displayOptions: { show: { resource: ['equipment', 'signal'], operation: ['get', 'stateHistory', 'publish'] } },
    default: '',
    description:
      'The equipment, e.g. acme/berlin/assembly/line-1/press-1. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
  },
  {
    displayName: 'Return All',
    name: 'returnAll',
    type: 'boolean',
    displayOptions: on('equipment', ['getAll', 'stateHistory']),
    default: false,
    description: 'Whether to return all results or only up to a given limit',
  },
  {
    displayName: 'Limit',
    name: 'limit',
    type: 'number',
    displayOptions: { show: { resource: ['equipment'], operation: ['getAll', 'stateHistory'], returnAll: [false] } },
    typeOptions: { minValue: 1 },
    default: 50,
    description: 'Max number of results to return',
  },
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    displayOptions: on('equipment', ['getAll']),
    default: {},
    options: [
      { displayName: 'Path Prefix', name: 'pathPrefix', type: 'string', default: '' },
      {
        displayName: 'State Names or IDs',
        name: 'equipmentStates',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getEquipmentStates' },
        default: [],
        description:
          'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
      },
    ],
  },
];

export const signalFields: INodeProperties[] = [
  {
    displayName: 'Kind',
    name: 'kind',
    type: 'options',
    displayOptions: on('signal', ['publish']),
    options: [
      { name: 'Count', value: 'Count', description: 'Good, scrap and rework parts' },
      { name: 'State', value: 'State', description: 'The run state of the machine' },
      { name: 'Value', value: 'Value', description: 'A process value, e.g. a temperature' },
    ],
    default: 'State',
  },
  {
    displayName: 'Source',
    name: 'source',
    type: 'string',
    required: true,
    displayOptions: on('signal', ['publish']),
    default: 'n8n',
    description: 'A stable ID of the sender; with the sequence it makes a re-sent signal harmless',
  },
  {
    displayName: 'Sequence',
    name: 'sequence',
    type: 'number',
    required: true,
    displayOptions: on('signal', ['publish']),
    default: 0,
    description: 'Strictly increasing per source, e.g. {{ $now.toMillis() }}',
  },
  signalField(
    {
      displayName: 'State Name or ID',
      name: 'state',
      type: 'options',
      typeOptions: { loadOptionsMethod: 'getEquipmentStates' },
      default: '',
      description:
        'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
    },
    ['State'],
  ),
  signalField(
    {
      displayName: 'Reason',
      name: 'reason',
      type: 'string',
      default: '',
      description: 'Reason code; the hub requires one for Down',
    },
    ['State'],
  ),
  signalField({ displayName: 'Good', name: 'good', type: 'number', default: 0 }, ['Count']),
  signalField({ displayName: 'Scrap', name: 'scrap', type: 'number', default: 0 }, ['Count']),
  signalField({ displayName: 'Rework', name: 'rework', type: 'number', default: 0 }, ['Count']),
  signalField({ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'temperature' }, [
    'Value',
  ]),
  signalField({ displayName: 'Value', name: 'value', type: 'number', default: 0 }, ['Value']),
  signalField({ displayName: 'Unit', name: 'unit', type: 'string', default: '', placeholder: 'Cel' }, ['Value']),
];

export const materialLotFields: INodeProperties[] = [
  {
    displayName: 'Lot Number',
    name: 'lotNumber',
    type: 'string',
    required: true,
    displayOptions: on('materialLot', ['get', 'genealogy']),
    default: '',
  },
  {
    displayName: 'Direction',
    name: 'direction',
    type: 'options',
    displayOptions: on('materialLot', ['genealogy']),
    options: [
      { name: 'Down (Where It Went)', value: 'down', description: 'Every lot this one went into, recursively' },
      { name: 'Up (What Went In)', value: 'up', description: 'Every lot that went into this one, recursively' },
    ],
    default: 'up',
  },
];

export const graphqlFields: INodeProperties[] = [
  {
    displayName: 'Query',
    name: 'query',
    type: 'string',
    typeOptions: { rows: 8 },
    required: true,
    displayOptions: on('graphql', ['execute']),
    default: '',
    placeholder: '{ viewer { name grants { role scope } } }',
    description: 'Any query or mutation of the hub’s schema',
  },
  {
    displayName: 'Variables',
    name: 'variables',
    type: 'json',
    displayOptions: on('graphql', ['execute']),
    default: '{}',
    description: 'The variables as a JSON object; expressions may take them from the item',
  },
];
