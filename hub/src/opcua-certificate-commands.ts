import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Role, WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { HubConfig } from './config.js';
import { openDatabase } from './infrastructure/database/database.js';
import { Subjects } from './subjects.js';
import { UnitOfWork } from './core/unit-of-work.js';
import { Principal } from './core/principal.js';
import { type DomainFailure, isFailure } from './core/failures.js';
import { OpcuaUserCertificateService } from './auth/opcua-user-certificates.js';
import { OpcuaApplicationCertificateService } from './auth/opcua-application-certificates.js';

export const OPCUA_CERTIFICATES_USAGE = `  opcua-certificates list
                      the Job Control face's trust lists: user certificates (each acting as an API key)
                      and client application certificates (trusted on first use, or refused)
  opcua-certificates trust user <file.pem> --api-key <key id>
  opcua-certificates trust application <file.pem>
  opcua-certificates distrust user|application <thumbprint>
                      change them as the GraphQL mutations do, audited as system:cli
`;

const USAGE = `Usage:\n${OPCUA_CERTIFICATES_USAGE.replace(/^ {2}/gm, '  plantgraph ')}`;

/** Who the CLI acts as: whoever can run it can open the database, so it manages keys everywhere. */
const CLI = Principal.service('system:cli', [{ role: Role.Admin, scope: WHOLE_INSTALLATION }]);

/**
 * `plantgraph opcua-certificates …`: the OPC UA Job Control face's trust lists from the command line, for an
 * administrator without a GraphQL client at hand (a new installation, a locked-out SCADA). The same services as
 * the GraphQL mutations, so the same checks, messages and audit records (the actor is `system:cli`).
 */
export async function opcuaCertificatesCommand(config: HubConfig, flags: string[]): Promise<void> {
  const [action, kind, argument] = flags;
  const db = await openDatabase(config);
  try {
    if ((await db.migrator.getPending()).length)
      throw new Error('The database has pending migrations; run `plantgraph migrate` first.');
    const uow = new UnitOfWork(db, new Subjects(config.natsNamespace));
    const users = new OpcuaUserCertificateService(db, uow);
    const applications = new OpcuaApplicationCertificateService(db, uow);
    if (action === 'list') {
      const em = db.em.fork();
      const page = { first: 500 };
      const u = await users.list(em, CLI, page);
      const a = await applications.list(em, CLI, page);
      console.log(`[opcua] user certificates (${await u.totalCount}), each signing in as its API key:`);
      for (const { node: c } of u.edges)
        console.log(`  ${c.thumbprint}  ${c.subject}  until ${c.notAfter.toISOString()}  as key ${c.apiKeyId}`);
      console.log(`[opcua] client application certificates (${await a.totalCount}):`);
      for (const { node: c } of a.edges)
        console.log(
          `  ${c.thumbprint}  ${c.trusted ? 'trusted' : 'REFUSED'} (${c.decidedBy})  ${c.subject}  ${c.applicationUri}`,
        );
      return;
    }
    if (action === 'trust' && kind === 'user' && argument) {
      const apiKey = flagValue(flags, '--api-key');
      const certificate = await readCertificate(argument);
      const c = answer(await users.trust(CLI, { certificate, apiKey }));
      console.log(`[opcua] trusted the user certificate ${c.thumbprint} (${c.subject}): it signs in as key ${apiKey}`);
      return;
    }
    if (action === 'trust' && kind === 'application' && argument) {
      const c = answer(await applications.trust(CLI, await readCertificate(argument)));
      console.log(`[opcua] trusted the client application ${c.thumbprint} (${c.subject}, ${c.applicationUri})`);
      return;
    }
    if (action === 'distrust' && kind === 'user' && argument) {
      const c = answer(await users.distrust(CLI, argument));
      console.log(
        `[opcua] distrusted the user certificate ${c.thumbprint}: its sessions are refused from their next call`,
      );
      return;
    }
    if (action === 'distrust' && kind === 'application' && argument) {
      const c = answer(await applications.distrust(CLI, argument));
      console.log(`[opcua] refused the client application ${c.thumbprint}: its next secure channel is refused`);
      return;
    }
    throw new Error(USAGE);
  } finally {
    await db.close();
  }
}

/** The service's answer, or its failure's message as the command's error. */
function answer<T>(result: T | DomainFailure): T {
  if (isFailure(result)) throw new Error(`nothing changed: ${result.message}`);
  return result;
}

function flagValue(flags: string[], name: string): string {
  const value = flags[flags.indexOf(name) + 1];
  if (!flags.includes(name) || !value) throw new Error(`${name} <value> is required.\n${USAGE}`);
  return value;
}

/** A certificate file, PEM or DER (given to the services as base64 DER). */
async function readCertificate(file: string): Promise<string> {
  try {
    const bytes = await readFile(resolve(file));
    const text = bytes.toString('latin1');
    return text.includes('-----BEGIN') ? text : bytes.toString('base64');
  } catch (err) {
    throw new Error(`cannot read ${resolve(file)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
}
