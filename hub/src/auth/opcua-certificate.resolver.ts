import { Permission, TrustOpcuaUserCertificateInput } from '@plantgraph/schema';
import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../graphql/context.js';
import { Allow } from '../graphql/guard.js';
import { PageArgs } from '../graphql/pagination.js';
import {
  DistrustOpcuaApplicationCertificateResult,
  DistrustOpcuaUserCertificateResult,
  OpcuaApplicationCertificateConnection,
  TrustOpcuaApplicationCertificateResult,
  OpcuaUserCertificateConnection,
  TrustOpcuaUserCertificateResult,
} from './opcua-certificate.types.js';

/** The OPC UA Job Control face's trust lists: user certificates and client applications (docs/opcua-job-control.md). */
@Resolver()
export class OpcuaUserCertificateResolver {
  @Query(() => OpcuaUserCertificateConnection, {
    description: 'OPC UA user certificates the Job Control face trusts, whose keys you manage; by thumbprint.',
  })
  @Allow(Permission.ManageKeys)
  opcuaUserCertificates(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.opcuaUserCertificates.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => TrustOpcuaUserCertificateResult, {
    description: 'Lets OPC UA clients sign in to the Job Control face with this user certificate, as the API key.',
  })
  @Allow(Permission.ManageKeys)
  trustOpcuaUserCertificate(@Arg('input') input: TrustOpcuaUserCertificateInput, @Ctx() ctx: HubContext) {
    return ctx.services.opcuaUserCertificates.trust(ctx.principal, input);
  }

  @Mutation(() => DistrustOpcuaUserCertificateResult, {
    description: 'Takes a user certificate off the trust list; its sessions are refused from their next call.',
  })
  @Allow(Permission.ManageKeys)
  distrustOpcuaUserCertificate(@Arg('thumbprint') thumbprint: string, @Ctx() ctx: HubContext) {
    return ctx.services.opcuaUserCertificates.distrust(ctx.principal, thumbprint);
  }

  @Query(() => OpcuaApplicationCertificateConnection, {
    description:
      'OPC UA client applications the Job Control face has trusted (on first use or by decision) or refuses; ' +
      'needs ManageKeys on the whole installation.',
  })
  @Allow(Permission.ManageKeys)
  opcuaApplicationCertificates(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.opcuaApplicationCertificates.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => TrustOpcuaApplicationCertificateResult, {
    description: 'Lets an OPC UA client application open secure channels to the Job Control face (again).',
  })
  @Allow(Permission.ManageKeys)
  trustOpcuaApplicationCertificate(@Arg('certificate') certificate: string, @Ctx() ctx: HubContext) {
    return ctx.services.opcuaApplicationCertificates.trust(ctx.principal, certificate);
  }

  @Mutation(() => DistrustOpcuaApplicationCertificateResult, {
    description: "Refuses an OPC UA client application's secure channels from its next one (BadCertificateUntrusted).",
  })
  @Allow(Permission.ManageKeys)
  distrustOpcuaApplicationCertificate(@Arg('thumbprint') thumbprint: string, @Ctx() ctx: HubContext) {
    return ctx.services.opcuaApplicationCertificates.distrust(ctx.principal, thumbprint);
  }
}
