import { createUnionType } from 'type-graphql';
import { DuplicateKey, InvalidInput, UnknownReference } from '../common/errors.js';
import { WorkOrder } from './work-order.entities.js';

export const CreateWorkOrderResult = createUnionType({ name: 'CreateWorkOrderResult', types: () => [WorkOrder, DuplicateKey, UnknownReference, InvalidInput] as const });
