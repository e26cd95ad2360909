import { ANY_CALLER, type GuardExtensions, type Permission } from '@plantgraph/schema';
import { defaultFieldResolver, GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { Extensions } from 'type-graphql';
import { mapDomainOutcome } from './failures.js';
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

/**
 * Wraps every field's resolver once, when the schema is built: fields declaring `Allow` are refused
 * to principals holding none of the permissions anywhere, before their resolvers run; every field's
 * domain outcome is mapped (`mapDomainOutcome`). This was two type-graphql global middlewares,
 * which made each of a large read's thousands of plain fields a chain of promises.
 */
export function guardFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      const allow = (field.extensions as Partial<GuardExtensions> | undefined)?.allow;
      field.resolve = (root, args, context: HubContext, info) =>
        mapDomainOutcome(() => {
          if (allow && !allow.some((p) => context.principal.canAnywhere(p)))
            throw forbidden(
              context.principal,
              `use ${info.parentType.name}.${info.fieldName} (needs ${allow.join(' or ')})`,
            );
          return resolve(root, args, context, info);
        }, info);
    }
  }
  return schema;
}
