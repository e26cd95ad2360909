// Reading and writing B2MML documents with fast-xml-parser. Every element is read as a list (B2MML
// repeats most of them), namespace prefixes are dropped (senders use `b2mml:` or a default namespace
// alike) and values stay text: the mapping decides what is a number. Writing keeps the order in which
// the mapping lists the elements, which is the order V0701 prescribes.

import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export const B2MML_NAMESPACE = 'http://www.mesa.org/xml/B2MML';
/** The B2MML release the documents follow: the `releaseID` written on every message. */
export const B2MML_RELEASE = '0701';

/** An element as read: child elements by name (each a list), attributes as `@_name`, text as `#text`. */
export type XmlNode = { readonly [name: string]: unknown };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

/** The message's root element name (e.g. `ProcessOperationsSchedule`) and the element itself. */
export function parseDocument(xml: string): { root: string; node: XmlNode } {
  const parsed = parser.parse(xml) as Record<string, unknown>;
  const root = Object.keys(parsed).find((name) => !name.startsWith('?') && !name.startsWith('#'));
  if (!root) throw new Error('The document has no root element.');
  return { root, node: asNode((parsed[root] as unknown[])[0]) };
}

function asNode(value: unknown): XmlNode {
  if (value !== null && typeof value === 'object') return value as XmlNode;
  return { '#text': value === undefined || value === null ? '' : String(value) };
}

/** The child elements named `name`, in document order. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? value.map(asNode) : [];
}

/** The first child element named `name`. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** An element's own text, trimmed; undefined when it is empty. */
export function ownText(node: XmlNode | undefined): string | undefined {
  const value = node?.['#text'];
  const text = value === undefined ? '' : String(value).trim();
  return text === '' ? undefined : text;
}

/** The text of the first child element named `name`; undefined when absent or empty. */
export function text(node: XmlNode | undefined, name: string): string | undefined {
  return ownText(child(node, name));
}

/** The texts of every child element named `name`, empty ones left out. */
export function texts(node: XmlNode | undefined, name: string): string[] {
  return children(node, name)
    .map(ownText)
    .filter((t): t is string => t !== undefined);
}

/**
 * An element to write: its children in order (a list repeats the element; undefined and empty lists
 * leave it out), attributes as `@_name`, text as `#text` or a plain string.
 */
export type XmlOut = { [name: string]: XmlOut | XmlOut[] | string | undefined } | string;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
});

/** A message: the root element in the B2MML namespace with `releaseID`, as XML text with its declaration. */
export function writeDocument(root: string, body: { [name: string]: XmlOut | XmlOut[] | string | undefined }): string {
  const element = { '@_xmlns': B2MML_NAMESPACE, '@_releaseID': B2MML_RELEASE, ...prune(body) };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: element }) as string}`;
}

/** Drops undefined values and empty lists, so optional elements are left out rather than written empty. */
function prune(value: { [name: string]: XmlOut | XmlOut[] | string | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (Array.isArray(v)) out[name] = v.map((item) => (typeof item === 'string' ? item : prune(item)));
    else out[name] = typeof v === 'string' ? v : prune(v);
  }
  return out;
}
