// The watched folders. A sender drops `*.xml` into the inbox (written elsewhere and renamed in, so the
// connector never reads half a file); each poll takes the oldest names first, imports them, writes the
// answer into the outbox as `<name>.answer.xml` and moves the document to `processed/` (or `refused/`)
// under the inbox. A hub killed between the import and the move leaves the file in the inbox: the next
// poll imports it again and the hub answers Unchanged (the import is idempotent by request ID).
// Performance documents go to the outbox the same way: written to a hidden temporary name, then renamed.

import { createHash } from 'node:crypto';
import { access, constants, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { HubClient, ImportOutcome, PollResult } from '@plantgraph/connector-sdk';
import { handleDocument } from './documents.js';

export interface Folders {
  inbox: string;
  outbox: string;
}

/** Checks that both folders exist and can be written (the connection test of a folder transport). */
export async function checkFolders(folders: Folders): Promise<void> {
  for (const [name, dir] of Object.entries(folders)) {
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
      await access(dir, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new Error(`${name}Dir ${dir}: ${(error as Error).message}`);
    }
  }
}

/** Writes a file atomically: readers of the folder see all of it or nothing. */
export async function writeAtomically(dir: string, name: string, contents: string): Promise<void> {
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  await writeFile(temporary, contents, 'utf8');
  await rename(temporary, join(dir, name));
}

/** True when the file exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The documents waiting in the inbox, oldest name first (hidden and temporary files left alone). */
async function waiting(inbox: string): Promise<string[]> {
  const entries = await readdir(inbox, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.xml'))
    .map((e) => e.name)
    .sort();
}

/** One poll: up to `limit` documents, each imported, answered and moved; `more` when others wait. */
export async function pollInbox(
  hub: HubClient,
  instance: string,
  folders: Folders,
  limit: number,
): Promise<PollResult> {
  const names = await waiting(folders.inbox);
  const outcomes: ImportOutcome[] = [];
  for (const name of names.slice(0, limit)) {
    const path = join(folders.inbox, name);
    const xml = await readFile(path, 'utf8');
    // The answer's BODID: the same document gives the same id, so a re-run after a crash says the same.
    const answerId = createHash('sha256').update(name).update(xml).digest('hex').slice(0, 32);
    const result = await handleDocument(hub, instance, xml, name, answerId);
    if (result.answer) await writeAtomically(folders.outbox, `${basename(name, '.xml')}.answer.xml`, result.answer);
    const archive = join(folders.inbox, result.accepted ? 'processed' : 'refused');
    await mkdir(archive, { recursive: true });
    await rename(path, join(archive, name));
    outcomes.push(...result.outcomes);
  }
  return { cursor: null, more: names.length > limit, outcomes };
}
