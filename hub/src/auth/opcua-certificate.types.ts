import {
  Connection,
  InvalidInput,
  NotFound,
  OpcuaApplicationCertificate,
  OpcuaUserCertificate,
} from '@plantgraph/schema';
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

export const OpcuaApplicationCertificateConnection = Connection(OpcuaApplicationCertificate);
export const TrustOpcuaApplicationCertificateResult = createUnionType({
  name: 'TrustOpcuaApplicationCertificateResult',
  types: () => [OpcuaApplicationCertificate, InvalidInput] as const,
});
export const DistrustOpcuaApplicationCertificateResult = createUnionType({
  name: 'DistrustOpcuaApplicationCertificateResult',
  types: () => [OpcuaApplicationCertificate, NotFound] as const,
});
