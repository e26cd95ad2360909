import { Extensions, Field, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { ANY_CALLER } from '../auth/access.js';
import { ErrorCode } from './error-code.js';

export { ErrorCode };

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
}

@ObjectType({ implements: ErrorResult, description: 'Another object already uses this unique key.' })
@Extensions({ allow: [ANY_CALLER] })
export class DuplicateKey extends ErrorResult {
  @Field() entity!: string;
  @Field() key!: string;
}

@ObjectType({ implements: ErrorResult, description: 'A field refers to an object that does not exist.' })
@Extensions({ allow: [ANY_CALLER] })
export class UnknownReference extends ErrorResult {
  @Field({ description: 'The input field holding the reference.' }) field!: string;
  @Field() entity!: string;
  @Field() key!: string;
}

@ObjectType({ implements: ErrorResult, description: 'An input value breaks a rule of the model.' })
@Extensions({ allow: [ANY_CALLER] })
export class InvalidInput extends ErrorResult {
  @Field({ description: 'The input field at fault, as a path (e.g. `segments[1].parameters[0].target`).' })
  field!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'An object cannot move from its current state to the requested one.',
})
@Extensions({ allow: [ANY_CALLER] })
export class InvalidTransition extends ErrorResult {
  @Field() currentState!: string;
  @Field() requestedState!: string;
  @Field(() => [String], { description: 'The states reachable from the current one.' }) allowedStates!: string[];
}

@ObjectType({ implements: ErrorResult, description: "A property value does not fit its class's declaration." })
@Extensions({ allow: [ANY_CALLER] })
export class InvalidPropertyValue extends ErrorResult {
  @Field() property!: string;
}
