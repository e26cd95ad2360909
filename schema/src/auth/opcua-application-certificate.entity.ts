import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType } from 'type-graphql';
import { Identified } from '../common/identified.js';
import { Permission } from './access.js';

/**
 * An OPC UA client application's certificate (the one a secure channel is opened with) as the hub's Job Control
 * face decided on it: its trust list of applications, kept in the database so every replica and every restart
 * decides alike. An application seen for the first time is trusted and recorded (trust on first use, as before);
 * an administrator distrusts it to refuse its channels. Who signs in is a separate matter (user certificates, keys).
 */
@ObjectType({ description: 'An OPC UA client application certificate the hub trusts or refuses.' })
@Extensions({ allow: [Permission.ManageKeys] })
@Entity()
export class OpcuaApplicationCertificate extends Identified {
  @Field({ description: 'SHA-1 of the certificate (DER), lower-case hex, as OPC UA tools show it.' })
  @Property({ unique: true, columnType: 'char(40)' })
  thumbprint!: string;
  @Field({ description: "The certificate's subject, e.g. `CN=line-1-scada`." }) @Property() subject!: string;
  @Field({ description: 'The application URI in the certificate, e.g. `urn:line-1:scada`.' })
  @Property({ type: 'text' })
  applicationUri!: string;
  @Field() @Property({ type: 'timestamptz' }) notAfter!: Date;
  /** The certificate itself (DER, base64): kept to show what was decided on; only the thumbprint is matched. */
  @Property({ type: 'text' }) certificate!: string;
  @Field({ description: 'True: its secure channels are accepted; false: refused (BadCertificateUntrusted).' })
  @Property()
  trusted!: boolean;
  @Field({ description: 'Who decided last: a principal, or `first use` when the face recorded it on its own.' })
  @Property()
  decidedBy!: string;
}
