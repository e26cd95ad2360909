import { ANY_CALLER, type GuardExtensions, type Permission } from '@plantgraph/schema';
import { Extensions, type MiddlewareFn } from 'type-graphql';
import type { HubContext } from './context.js';
import { forbidden } from '../core/visibility.js';

/**
 * Declares who may call an API field: a principal holding any of the permissions somewhere.
 * Where exactly (which part of the hierarchy) is decided by the service and the visibility
 * filters. Every root field carries one; a test walks the schema to keep it so.
 */
export function Allow(...permissions: (Permission | typeof ANY_CALLER)[]): MethodDecorator & PropertyDecorator {
  return Extensions({ allow: permissions } satisfies GuardExtensions) as MethodDecorator & PropertyDecorator;
}

/** Enforces `Allow` declarations on fields before their resolvers run. */
export const guard: MiddlewareFn<HubContext> = ({ info, context }, next) => {
  const allow = (info.parentType.getFields()[info.fieldName]?.extensions as Partial<GuardExtensions> | undefined)
    ?.allow;
  if (allow && !allow.some((p) => context.principal.canAnywhere(p))) {
    throw forbidden(context.principal, `use ${info.parentType.name}.${info.fieldName} (needs ${allow.join(' or ')})`);
  }
  return next();
};
