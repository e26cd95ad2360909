// Every document in and out is checked against the project's schema of the V0701 subset
// (schema/plantgraph-b2mml-v0701.xsd) with xmllint-wasm: libxml2 compiled to WebAssembly, so nothing
// is compiled on install. An invalid document is refused with xmllint's line and message.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memoryPages, validateXML, type XMLFileInfo } from 'xmllint-wasm';

/** The schema file shipped with the package. */
export const SCHEMA_PATH = fileURLToPath(new URL('../schema/plantgraph-b2mml-v0701.xsd', import.meta.url));

let schema: XMLFileInfo | undefined;
function projectSchema(): XMLFileInfo {
  schema ??= { fileName: 'plantgraph-b2mml-v0701.xsd', contents: readFileSync(SCHEMA_PATH, 'utf8') };
  return schema;
}

/** One schema violation: the document's line and xmllint's words (which name the element and what it expected). */
export interface SchemaProblem {
  line: number | null;
  message: string;
}

export type SchemaCheck = { valid: true } | { valid: false; problems: SchemaProblem[] };

/**
 * Checks a document against the project's V0701 schema, or against other schema files (e.g. MESA's
 * own, while developing: the first file is the main schema, the others are what it includes).
 */
export async function validateDocument(
  xml: string,
  fileName = 'document.xml',
  schemas: XMLFileInfo[] = [projectSchema()],
): Promise<SchemaCheck> {
  const [main, ...preload] = schemas;
  const result = await validateXML({
    xml: [{ fileName: safeName(fileName), contents: xml }],
    schema: main!,
    preload,
    // A 1,000-order schedule is some 2 MB of XML; the default 32 MiB is too little for it and its tree.
    maxMemoryPages: 512 * memoryPages.MiB,
  });
  if (result.valid) return { valid: true };
  const problems = result.errors.map((e) => ({ line: e.loc?.lineNumber ?? null, message: tidy(e.message) }));
  return { valid: false, problems: problems.length ? problems : [{ line: null, message: result.rawOutput.trim() }] };
}

/** xmllint's words without the namespace in every element name (all are B2MML's) and its prefix. */
function tidy(message: string): string {
  return message
    .replaceAll(`{http://www.mesa.org/xml/B2MML}`, '')
    .replace(/^\s*Schemas validity error : /, '')
    .trim();
}

/** xmllint refuses names it could read as options; the name only labels its messages. */
function safeName(fileName: string): string {
  return fileName.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'document.xml';
}

/** One line per problem, e.g. `line 12: Element 'Quantity': This element is not expected. Expected is ( ID ).` */
export function describeProblems(problems: SchemaProblem[]): string[] {
  return problems.map((p) => (p.line === null ? p.message : `line ${p.line}: ${p.message}`));
}
