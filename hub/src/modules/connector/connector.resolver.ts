import {
  ConfigureConnectorInput,
  ConnectorDelivery,
  ConnectorInstance,
  DeliveryFilter,
  ImportFilter,
  Permission,
  ReplayRangeInput,
} from '@plantgraph/schema';
import { isFailure } from '../../core/failures.js';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { AFTER, openStream, streamOf } from '../../graphql/failures.js';
import {
  BrowseConnectorResult,
  ConnectorNodes,
  ConnectorStreamHealth,
  ConnectorConnection,
  ConnectorDeliveryConnection,
  ConnectorDeliveryResult,
  ConnectorEvent,
  ConnectorImportConnection,
  ConnectorImportResult,
  ConnectorQueueCounts,
  ConnectorResult,
  ConnectorType,
  ReplayedDeliveries,
  ReplayRangeResult,
} from './connector.types.js';

@Resolver(() => ConnectorInstance)
export class ConnectorResolver {
  @Query(() => [ConnectorType], { description: 'The connector types this hub can run, with their settings.' })
  @Allow(Permission.Read)
  connectorTypes(@Ctx() ctx: HubContext): ConnectorType[] {
    return ctx.services.connectors.registry.all().map((d) => ({
      type: d.type,
      title: d.title,
      settings: Object.entries(d.settings).map(([name, f]) => ({
        name,
        type: f.type,
        description: f.description,
        required: Boolean(f.required),
        secret: Boolean(f.secret),
      })),
    }));
  }

  @Query(() => ConnectorInstance, { nullable: true })
  @Allow(Permission.Read)
  connector(@Arg('name') name: string, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.get(ctx.em, ctx.principal, name);
  }

  @Query(() => ConnectorConnection, { description: 'Connector instances by name.' })
  @Allow(Permission.Read)
  connectors(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.list(ctx.em, ctx.principal, page);
  }

  @Query(() => ConnectorDeliveryConnection, { description: "A connector's deliveries, newest first." })
  @Allow(Permission.Read)
  connectorDeliveries(
    @Arg('connector') connector: string,
    @Arg('filter', () => DeliveryFilter, { nullable: true }) filter: DeliveryFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.connectors.deliveries(ctx.em, ctx.principal, connector, filter, page);
  }

  @Query(() => ConnectorDelivery, { nullable: true })
  @Allow(Permission.Read)
  connectorDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.delivery(ctx.em, ctx.principal, id);
  }

  @Query(() => ConnectorImportConnection, {
    description: 'The latest outcome per external record a connector imported (or rejected, with the reasons).',
  })
  @Allow(Permission.Read)
  connectorImports(
    @Arg('connector') connector: string,
    @Arg('filter', () => ImportFilter, { nullable: true }) filter: ImportFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.connectors.imports(ctx.em, ctx.principal, connector, filter, page);
  }

  @FieldResolver(() => [String], { description: 'What the connector may do as `connector:<name>`: `role@scope`.' })
  grants(@Root() instance: ConnectorInstance): string[] {
    return instance.grants.map((g) => `${g.role}@${g.scope}`);
  }

  @FieldResolver(() => ConnectorQueueCounts, { nullable: true, description: 'Null while it is not running here.' })
  queueCounts(@Root() instance: ConnectorInstance, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.queueCounts(instance.name);
  }

  @FieldResolver(() => [ConnectorStreamHealth], {
    nullable: true,
    description: "Its streams' connections (connected, last value, items bad); null where they are not open.",
  })
  streamHealth(@Root() instance: ConnectorInstance, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.streamHealth(instance.name);
  }

  @Query(() => BrowseConnectorResult, {
    description: "The children of a node of a connector's external address space (its root without nodeId).",
  })
  @Allow(Permission.ManageConnectors)
  async browseConnector(
    @Arg('name') name: string,
    @Arg('nodeId', () => String, { nullable: true }) nodeId: string | null,
    @Ctx() ctx: HubContext,
  ) {
    const result = await ctx.services.connectors.browse(ctx.principal, name, nodeId);
    return Array.isArray(result) ? Object.assign(new ConnectorNodes(), { nodes: result }) : result;
  }

  @Mutation(() => ConnectorResult, {
    description: 'Creates a connector or changes its settings (checked at save; secrets write-only, encrypted).',
  })
  @Allow(Permission.ManageConnectors)
  configureConnector(@Arg('input') input: ConfigureConnectorInput, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.configure(ctx.principal, input);
  }

  @Mutation(() => ConnectorResult)
  @Allow(Permission.ManageConnectors)
  setConnectorEnabled(@Arg('name') name: string, @Arg('enabled') enabled: boolean, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.setEnabled(ctx.principal, name, enabled);
  }

  @Mutation(() => ConnectorResult, { description: 'A real round trip to the external system now; records the health.' })
  @Allow(Permission.ManageConnectors)
  testConnector(@Arg('name') name: string, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.test(ctx.principal, name);
  }

  @Mutation(() => ConnectorResult, { description: 'Polls the external system now instead of at the next period.' })
  @Allow(Permission.ManageConnectors)
  pollConnector(@Arg('name') name: string, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.poll(ctx.principal, name);
  }

  @Mutation(() => ConnectorImportResult, {
    description: 'Imports one external record now (e.g. an SAP order number) and answers with its outcome.',
  })
  @Allow(Permission.ManageConnectors)
  importConnectorRecord(
    @Arg('connector') connector: string,
    @Arg('reference') reference: string,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.connectors.importOne(ctx.principal, connector, reference);
  }

  @Mutation(() => ConnectorDeliveryResult, {
    description: 'Runs a dead letter (or a delivered one, which then reconciles first) again with the same key.',
  })
  @Allow(Permission.ManageConnectors)
  replayDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.services.connectors.replay(ctx.principal, id);
  }

  @Mutation(() => ReplayRangeResult, { description: "Runs a connector's dead letters of a time range again." })
  @Allow(Permission.ManageConnectors)
  async replayDeliveries(@Arg('input') input: ReplayRangeInput, @Ctx() ctx: HubContext) {
    const result = await ctx.services.connectors.replayRange(ctx.principal, input);
    return isFailure(result)
      ? result
      : Object.assign(new ReplayedDeliveries(), { count: result.length, deliveries: result });
  }

  @Subscription(() => ConnectorEvent, {
    description: 'Connectors, their deliveries and imports changing at `scope` and below (health, dead letters …).',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.connectors.subscribeChanges(ctx.principal, args.scope as string, streamOf(ctx, args)),
      );
    },
  })
  @Allow(Permission.Read)
  connectorChanged(
    @Root() event: ConnectorEvent,
    @Arg('scope') _scope: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
  ) {
    return { ...event, at: new Date(event.at) };
  }
}
