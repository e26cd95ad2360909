import { Connection, InvalidInput, NotFound, OpcuaUserCertificate } from '@plantgraph/schema';
import { createUnionType } from 'type-graphql';

export const OpcuaUserCertificateConnection = Connection(OpcuaUserCertificate);
export const TrustOpcuaUserCertificateResult = createUnionType({
  name: 'TrustOpcuaUserCertificateResult',
  types: () => [OpcuaUserCertificate, InvalidInput, NotFound] as const,
});
export const DistrustOpcuaUserCertificateResult = createUnionType({
  name: 'DistrustOpcuaUserCertificateResult',
  types: () => [OpcuaUserCertificate, NotFound] as const,
});
