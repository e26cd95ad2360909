import { Extensions, Field, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { ANY_CALLER } from '../auth/access.js';

/** Machine-readable codes of expected failures; clients switch on these, people read `message`. */
export enum ErrorCode {
  NotFound = 'NotFound',
  DuplicateKey = 'DuplicateKey',
  UnknownReference = 'UnknownReference',
  InvalidInput = 'InvalidInput',
  InvalidPropertyValue = 'InvalidPropertyValue',
  UnknownParent = 'UnknownParent',
  DuplicatePath = 'DuplicatePath',
  HierarchyCycle = 'HierarchyCycle',
  LevelNotAllowed = 'LevelNotAllowed',
  InvalidTransition = 'InvalidTransition',
  ReleaseBlocked = 'ReleaseBlocked',
}
registerEnumType(ErrorCode, { name: 'ErrorCode' });

@Extensions({ allow: [ANY_CALLER] })
@InterfaceType({
  description: 'An expected failure of a mutation. Nothing was stored; `message` says what to fix.',
})
export abstract class ErrorResult {
  @Field(() => ErrorCode) code!: ErrorCode;
  @Field() message!: string;
}

@ObjectType({ implements: ErrorResult, description: 'No object has the given key.' })
@Extensions({ allow: [ANY_CALLER] })
export class NotFound extends ErrorResult {
  @Field() entity!: string;
  @Field() key!: string;
  constructor(entity: string, key: string) {
    super();
    Object.assign(this, { code: ErrorCode.NotFound, entity, key, message: `No ${entity} "${key}" exists. Check the key, or create it first.` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'Another object already uses this unique key.' })
@Extensions({ allow: [ANY_CALLER] })
export class DuplicateKey extends ErrorResult {
  @Field() entity!: string;
  @Field() key!: string;
  constructor(entity: string, key: string) {
    super();
    Object.assign(this, { code: ErrorCode.DuplicateKey, entity, key, message: `A ${entity} "${key}" already exists. Choose another key or update the existing one.` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'A field refers to an object that does not exist.' })
@Extensions({ allow: [ANY_CALLER] })
export class UnknownReference extends ErrorResult {
  @Field({ description: 'The input field holding the reference.' }) field!: string;
  @Field() entity!: string;
  @Field() key!: string;
  constructor(field: string, entity: string, key: string) {
    super();
    Object.assign(this, { code: ErrorCode.UnknownReference, field, entity, key, message: `${field}: no ${entity} "${key}" exists. Create it first or correct the reference.` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'An input value breaks a rule of the model.' })
@Extensions({ allow: [ANY_CALLER] })
export class InvalidInput extends ErrorResult {
  @Field({ description: 'The input field at fault, as a path (e.g. `segments[1].parameters[0].target`).' }) field!: string;
  constructor(field: string, problem: string) {
    super();
    Object.assign(this, { code: ErrorCode.InvalidInput, field, message: `${field}: ${problem}` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'An object cannot move from its current state to the requested one.' })
@Extensions({ allow: [ANY_CALLER] })
export class InvalidTransition extends ErrorResult {
  @Field() currentState!: string;
  @Field() requestedState!: string;
  @Field(() => [String], { description: 'The states reachable from the current one.' }) allowedStates!: string[];
  constructor(entity: string, currentState: string, requestedState: string, allowedStates: string[]) {
    super();
    const allowed = allowedStates.length ? allowedStates.join(', ') : 'none (final state)';
    Object.assign(this, {
      code: ErrorCode.InvalidTransition, currentState, requestedState, allowedStates,
      message: `${entity} is ${currentState} and cannot become ${requestedState}. Allowed next states: ${allowed}.`,
    });
  }
}

@ObjectType({ implements: ErrorResult, description: "A property value does not fit its class's declaration." })
@Extensions({ allow: [ANY_CALLER] })
export class InvalidPropertyValue extends ErrorResult {
  @Field() property!: string;
  constructor(property: string, problem: string) {
    super();
    Object.assign(this, { code: ErrorCode.InvalidPropertyValue, property, message: `Property "${property}": ${problem}` });
  }
}
