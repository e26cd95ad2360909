import type { INodeProperties } from 'n8n-workflow';

const on = (resource: string, operation: string[]) => ({ show: { resource: [resource], operation } });
const limitFields = (resource: string, operation: string): INodeProperties[] => [
  {
    displayName: 'Return All',
    name: 'returnAll',
    type: 'boolean',
    displayOptions: on(resource, [operation]),
    default: false,
    description: 'Whether to return all results or only up to a given limit',
  },
  {
    displayName: 'Limit',
    name: 'limit',
    type: 'number',
    displayOptions: { show: { resource: [resource], operation: [operation], returnAll: [false] } },
    typeOptions: { minValue: 1 },
    default: 50,
    description: 'Max number of results to return',
  },
];
const equipmentPath = (resource: string, operation: string[], required = true): INodeProperties => ({
  displayName: 'Equipment Path Name or ID',
  name: 'path',
  type: 'options',
  typeOptions: { loadOptionsMethod: 'getEquipmentPaths' },
  required,
  displayOptions: on(resource, operation),
  default: '',
  description:
    'The equipment, e.g. acme/berlin/assembly/line-1/press-1. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
});

export const resourceProperty: INodeProperties = {
  displayName: 'Resource',
  name: 'resource',
  type: 'options',
  noDataExpression: true,
  options: [
    { name: 'Alert', value: 'alert' },
    { name: 'Equipment', value: 'equipment' },
    { name: 'GraphQL', value: 'graphql' },
    { name: 'Material Lot', value: 'materialLot' },
    { name: 'Signal', value: 'signal' },
    { name: 'Work Order', value: 'workOrder' },
  ],
  default: 'workOrder',
};

const operation = (resource: string, options: [string, string, string][], fallback: string): INodeProperties => ({
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: [resource] } },
  options: options.map(([name, value, action]) => ({ name, value, action, description: action })),
  default: fallback,
});

export const operationProperties: INodeProperties[] = [
  operation(
    'workOrder',
    [
      ['Cancel', 'cancel', 'Cancel a work order'],
      ['Create', 'create', 'Create a work order'],
      ['Get', 'get', 'Get a work order'],
      ['Get Many', 'getAll', 'Get many work orders'],
      ['Pause', 'pause', 'Pause a work order'],
      ['Release', 'release', 'Release a work order'],
      ['Resume', 'resume', 'Resume a work order'],
    ],
    'get',
  ),
  operation(
    'alert',
    [
      ['Acknowledge', 'acknowledge', 'Acknowledge an alert'],
      ['Clear', 'clear', 'Clear an alert'],
      ['Get Many', 'getAll', 'Get many alerts'],
      ['Raise', 'raise', 'Raise an alert'],
    ],
    'acknowledge',
  ),
  operation(
    'equipment',
    [
      ['Get', 'get', 'Get an equipment'],
      ['Get Many', 'getAll', 'Get many equipment'],
      ['Get State History', 'stateHistory', 'Get the state history of an equipment'],
    ],
    'get',
  ),
  operation('signal', [['Publish', 'publish', 'Publish a machine signal']], 'publish'),
  operation(
    'materialLot',
    [
      ['Get', 'get', 'Get a material lot'],
      ['Get Genealogy', 'genealogy', 'Get the genealogy of a material lot'],
    ],
    'get',
  ),
  operation('graphql', [['Execute', 'execute', 'Execute a GraphQL query or mutation']], 'execute'),
];

const WORK_ORDER_BY_NUMBER = ['get', 'release', 'pause', 'resume', 'cancel', 'create'];

export const workOrderFields: INodeProperties[] = [
  {
    displayName: 'Work Order Number',
    name: 'number',
    type: 'string',
    required: true,
    displayOptions: on('workOrder', WORK_ORDER_BY_NUMBER),
    default: '',
  },
  {
    displayName: 'Reason',
    name: 'reason',
    type: 'string',
    required: true,
    displayOptions: on('workOrder', ['pause', 'cancel']),
    default: '',
    description: 'Why, for the audit trail',
  },
  {
    displayName: 'Product Definition',
    name: 'productDefinition',
    type: 'string',
    required: true,
    displayOptions: on('workOrder', ['create']),
    default: '',
    description: 'The code of the product definition, e.g. BRACKET-A',
  },
  {
    displayName: 'Quantity',
    name: 'quantity',
    type: 'number',
    required: true,
    displayOptions: on('workOrder', ['create']),
    default: 1,
  },
  {
    displayName: 'Equipment Name or ID',
    name: 'equipment',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getEquipmentPaths' },
    required: true,
    displayOptions: on('workOrder', ['create']),
    default: '',
    description:
      'Where the order runs. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
  },
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    displayOptions: on('workOrder', ['create']),
    default: {},
    options: [
      { displayName: 'Planned End', name: 'plannedEnd', type: 'dateTime', default: '' },
      { displayName: 'Planned Start', name: 'plannedStart', type: 'dateTime', default: '' },
      {
        displayName: 'Version',
        name: 'version',
        type: 'number',
        default: 0,
        description: 'Version of the product definition (default: the active one)',
      },
    ],
  },
  {
    displayName: 'Assignments',
    name: 'assignments',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Assignment',
    displayOptions: on('workOrder', ['release']),
    default: {},
    description: 'Who runs each step on which equipment',
    options: [
      {
        displayName: 'Assignment',
        name: 'assignment',
        values: [
          { displayName: 'Segment', name: 'segment', type: 'string', default: '' },
          { displayName: 'Equipment', name: 'equipment', type: 'string', default: '' },
          {
            displayName: 'Operators',
            name: 'operators',
            type: 'string',
            default: '',
            description: 'Employee IDs, comma-separated',
          },
        ],
      },
    ],
  },
  ...limitFields('workOrder', 'getAll'),
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    displayOptions: on('workOrder', ['getAll']),
    default: {},
    options: [
      { displayName: 'Equipment Prefix', name: 'equipmentPrefix', type: 'string', default: '' },
      { displayName: 'Product Definition', name: 'productDefinition', type: 'string', default: '' },
      {
        displayName: 'State Names or IDs',
        name: 'states',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getWorkOrderStates' },
        default: [],
        description:
          'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
      },
    ],
  },
];

export const alertFields: INodeProperties[] = [
  equipmentPath('alert', ['raise']),
  {
    displayName: 'Deduplication Key',
    name: 'deduplicationKey',
    type: 'string',
    required: true,
    displayOptions: on('alert', ['raise']),
    default: '',
    description: 'The same key at the same equipment counts another occurrence of the open alert',
  },
  {
    displayName: 'Severity Name or ID',
    name: 'severity',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getAlertSeverities' },
    required: true,
    displayOptions: on('alert', ['raise']),
    default: '',
    description:
      'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
  },
  {
    displayName: 'Title',
    name: 'title',
    type: 'string',
    required: true,
    displayOptions: on('alert', ['raise']),
    default: '',
  },
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    displayOptions: on('alert', ['raise']),
    default: {},
    options: [
      { displayName: 'Description', name: 'description', type: 'string', default: '' },
      {
        displayName: 'Escalate After Seconds',
        name: 'escalateAfterSeconds',
        type: 'number',
        default: 0,
        description: 'Escalate one level per this many seconds unacknowledged (0: the hub default)',
      },
    ],
  },
  {
    displayName: 'Alert ID',
    name: 'alertId',
    type: 'string',
    required: true,
    displayOptions: on('alert', ['acknowledge', 'clear']),
    default: '',
    description: 'The ID of the alert, e.g. the ID field of the PlantGraph Trigger’s item',
  },
  {
    displayName: 'Comment',
    name: 'comment',
    type: 'string',
    required: true,
    displayOptions: on('alert', ['acknowledge']),
    default: '',
  },
  {
    displayName: 'Comment',
    name: 'comment',
    type: 'string',
    displayOptions: on('alert', ['clear']),
    default: '',
  },
  ...limitFields('alert', 'getAll'),
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    displayOptions: on('alert', ['getAll']),
    default: {},
    options: [
      {
        displayName: 'Minimum Severity Name or ID',
        name: 'minSeverity',
        type: 'options',
        typeOptions: { loadOptionsMethod: 'getAlertSeverities' },
        default: '',
        description:
          'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
      },
      { displayName: 'Path Prefix', name: 'pathPrefix', type: 'string', default: '' },
      {
        displayName: 'State Names or IDs',
        name: 'alertStates',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getAlertStates' },
        default: [],
        description:
          'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
      },
    ],
  },
];
