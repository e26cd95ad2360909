import { readFile, writeFile } from 'node:fs/promises';
import { readBatchRecordInfo } from './modules/batch-record/batch-record.hash.js';

const R = '__typename ... on ErrorResult { code message }';
const RENDER = `mutation ($n: String!) { r: renderBatchRecord(number: $n) { ${R}
  ... on BatchRecordDocument { number sha256 fileName pdfBase64 } } }`;
const VERIFY = `query ($n: String!, $h: String!) { r: verifyBatchRecord(number: $n, sha256: $h) { ${R}
  ... on BatchRecordVerification { valid message currentSha256 renderedAt renderedBy } } }`;

export const RECORD_USAGE = `  record <order number> [--out <file>]
                      render the order's executed batch record as PDF through a running hub
                      (PLANTGRAPH_URL, default http://127.0.0.1:4000; PLANTGRAPH_TOKEN: a token or
                      API key with Read where the order runs); prints the content's SHA-256
  record --verify <file> | --verify --order <number> --sha256 <hash>
                      check a batch record's hash against the hub; exit code 1 if it does not verify
`;

/**
 * `plantgraph record`: a client of the hub's GraphQL API, not of its database, so a record is
 * read with the caller's own permissions and scopes, and each rendering is audited by the hub.
 */
export async function recordCommand(flags: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = (env.PLANTGRAPH_URL ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
  const option = (name: string) => {
    const i = flags.indexOf(name);
    return i >= 0 ? flags[i + 1] : undefined;
  };
  const call = async (query: string, variables: object) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(env.PLANTGRAPH_TOKEN ? { authorization: `Bearer ${env.PLANTGRAPH_TOKEN}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    }).catch((err: Error) => {
      throw new Error(`cannot reach the hub at ${url} (${err.message}); set PLANTGRAPH_URL to its address.`);
    });
    type Answer = { code?: string; message?: string; valid?: boolean; [field: string]: unknown };
    const body = (await response.json()) as { data?: { r?: Answer }; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    const answer = body.data!.r!;
    if (answer.code) throw new Error(`${answer.code}: ${answer.message}`);
    return answer as Answer & Record<string, string>;
  };

  if (flags.includes('--verify')) {
    const file = option('--verify');
    let number = option('--order');
    let sha256 = option('--sha256');
    if (file && !file.startsWith('--')) {
      const info = readBatchRecordInfo(await readFile(file));
      if (!info) throw new Error(`${file} carries no PlantGraph batch record order and hash; is it one?`);
      ({ number, sha256 } = info);
    }
    if (!number || !sha256) throw new Error(`usage:\n${RECORD_USAGE}`);
    const v = await call(VERIFY, { n: number, h: sha256 });
    console.log(`${v.valid ? 'VALID' : 'NOT VALID'}: ${number} sha256 ${sha256}\n  ${v.message}`);
    return v.valid ? 0 : 1;
  }
  const number = flags.find((f, i) => !f.startsWith('--') && flags[i - 1] !== '--out');
  if (!number) throw new Error(`usage:\n${RECORD_USAGE}`);
  const document = await call(RENDER, { n: number });
  const out = option('--out') ?? document.fileName;
  await writeFile(out, Buffer.from(document.pdfBase64, 'base64'));
  console.log(`[record] wrote ${out}\n  sha256 ${document.sha256}`);
  return 0;
}
