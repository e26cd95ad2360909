// The client's own certificate and private key, and the server certificates it trusts, live in the
// hub's database (the instance's store, sealed like its secrets), not in a folder of the working
// directory. node-opcua wants a PKI folder: one is written to a private temp directory at each open
// and what node-opcua added to it (a certificate made at first run, a server trusted) is saved back.

import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { ConnectorStore } from '@plantgraph/connector-sdk';

const STORE_KEY = 'pki';
/** What is kept: own certificate and key, trusted and issuer certificates (not rejected or CRL noise). */
const KEPT = /^(own\/(certs|private)|trusted\/certs|issuers\/certs)\//;

export interface PkiFolder {
  dir: string;
  /** Saves what node-opcua wrote (a new certificate, a trusted server) when it differs from the store. */
  save(): Promise<void>;
  dispose(): Promise<void>;
}

export async function openPki(store: ConnectorStore, trustedServerCertificate?: string): Promise<PkiFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'plantgraph-opcua-'));
  const stored = JSON.parse((await store.get(STORE_KEY)) ?? '{}') as Record<string, string>;
  for (const [path, content] of Object.entries(stored)) {
    if (!KEPT.test(path) || path.includes('..')) continue;
    await mkdir(dirname(join(dir, path)), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, path), Buffer.from(content, 'base64'), { mode: 0o600 });
  }
  if (trustedServerCertificate) {
    await mkdir(join(dir, 'trusted/certs'), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'trusted/certs/configured-server.pem'), trustedServerCertificate, { mode: 0o600 });
  }
  let saved = JSON.stringify(Object.fromEntries(Object.entries(stored).sort()));
  return {
    dir,
    async save() {
      const now: Record<string, string> = {};
      for (const file of await listFiles(dir)) {
        const path = relative(dir, file).split('\\').join('/');
        if (KEPT.test(path) && !path.endsWith('configured-server.pem') && !path.endsWith('.mutex'))
          now[path] = (await readFile(file)).toString('base64');
      }
      const text = JSON.stringify(Object.fromEntries(Object.entries(now).sort()));
      if (text === saved) return;
      await store.set(STORE_KEY, text);
      saved = text;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
