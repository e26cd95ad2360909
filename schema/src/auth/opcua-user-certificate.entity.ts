import { Entity, Index, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ID, InputType, ObjectType } from 'type-graphql';
import { Identified } from '../common/identified.js';
import { Permission } from './access.js';

/**
 * An X.509 user certificate the hub's OPC UA Job Control face lets sign in (its trust list, kept in the
 * database so every replica shares it). A session signed in with it acts as the API key it is mapped to:
 * the key's grants, and its revocation or expiry, count for the certificate too.
 */
@ObjectType({ description: 'An OPC UA user certificate trusted by the hub, acting as an API key.' })
@Extensions({ allow: [Permission.ManageKeys] })
@Entity()
export class OpcuaUserCertificate extends Identified {
  @Field({ description: 'SHA-1 of the certificate (DER), lower-case hex, as OPC UA tools show it.' })
  @Property({ unique: true, columnType: 'char(40)' })
  thumbprint!: string;
  @Field({ description: "The certificate's subject, e.g. `CN=line-1-scada`." }) @Property() subject!: string;
  @Field() @Property({ type: 'timestamptz' }) notAfter!: Date;
  /** The certificate itself (DER, base64): kept to show what was trusted; only the thumbprint is matched. */
  @Property({ type: 'text' }) certificate!: string;
  @Field(() => ID, { description: 'The API key whose grants a session signed in with this certificate has.' })
  @Index()
  @Property({ type: 'uuid' })
  apiKeyId!: string;
  @Field() @Property() createdBy!: string;
}

@InputType()
export class TrustOpcuaUserCertificateInput {
  @Field({ description: 'The certificate, PEM (`-----BEGIN CERTIFICATE-----…`) or base64 DER.' })
  certificate!: string;
  @Field(() => ID, { description: 'The API key it acts as (create one with `createApiKey` and the grants it needs).' })
  apiKey!: string;
}
