// $filter as OData V2 defines it, for the operators and literals SAP clients use: eq ne gt ge lt le,
// and or not, parentheses, substringof/startswith/endswith, and typed literals (datetime'…',
// datetimeoffset'…', guid'…', 12.5M, true, null). Literals are checked against the property's type the
// way Gateway does, so a client sending datetime'…' for an Edm.DateTimeOffset is refused, not humoured.

import type { EdmEntityType, EdmType, Row, Value } from './edm.js';
import { SimError } from './sap-error.js';

type Literal = { kind: 'literal'; type: EdmType | 'null'; value: Value };
type Node =
  | { kind: 'binary'; op: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'compare'; op: string; left: Node; right: Node; position: number }
  | { kind: 'property'; name: string; type: EdmType }
  | { kind: 'call'; name: string; args: Node[] }
  | Literal;

interface Token {
  text: string;
  position: number;
  literal?: Literal;
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set(['substringof', 'startswith', 'endswith']);

const syntax = (message: string) => new SimError(400, '/IWBEP/CM_MGW_RT/004', message);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // whitespace | punctuation | [type prefix]'quoted' | number [type suffix] | word
  const pattern = new RegExp(
    [
      String.raw`\s+`,
      String.raw`(\(|\)|,)`,
      String.raw`(datetimeoffset|datetime|guid|time)?'((?:[^']|'')*)'`,
      String.raw`(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([mMdDfFlL])?`,
      String.raw`([A-Za-z_][A-Za-z0-9_/]*)`,
    ].join('|'),
    'y',
  );
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length) {
    const position = pattern.lastIndex;
    match = pattern.exec(text);
    if (!match) throw syntax(`Invalid token detected at position ${position + 1}`);
    const [whole, punct, prefix, quoted, number, suffix, word] = match;
    if (punct) tokens.push({ text: punct, position });
    else if (quoted !== undefined)
      tokens.push({ text: whole, position, literal: quotedLiteral(prefix, quoted.replace(/''/g, "'"), position) });
    else if (number !== undefined) {
      const type: EdmType = suffix && /[mM]/.test(suffix) ? 'Edm.Decimal' : 'Edm.Int32';
      tokens.push({ text: whole, position, literal: { kind: 'literal', type, value: Number(number) } });
    } else if (word) {
      if (word === 'true' || word === 'false')
        tokens.push({
          text: word,
          position,
          literal: { kind: 'literal', type: 'Edm.Boolean', value: word === 'true' },
        });
      else if (word === 'null')
        tokens.push({ text: word, position, literal: { kind: 'literal', type: 'null', value: null } });
      else tokens.push({ text: word, position });
    }
  }
  return tokens;
}

function quotedLiteral(prefix: string | undefined, text: string, position: number): Literal {
  switch (prefix) {
    case undefined:
      return { kind: 'literal', type: 'Edm.String', value: text };
    case 'guid':
      if (!/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(text))
        throw syntax(`Invalid guid literal at position ${position + 1}`);
      return { kind: 'literal', type: 'Edm.Guid', value: text.toLowerCase() };
    case 'datetime':
    case 'datetimeoffset': {
      const zoned = prefix === 'datetimeoffset';
      const ok = zoned
        ? /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/
        : /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/;
      if (!ok.test(text)) throw syntax(`Invalid ${prefix} literal '${text}' at position ${position + 1}`);
      return {
        kind: 'literal',
        type: zoned ? 'Edm.DateTimeOffset' : 'Edm.DateTime',
        value: new Date(zoned ? text : `${text}Z`),
      };
    }
    default:
      throw syntax(`Literal type ${prefix} is not supported (position ${position + 1})`);
  }
}

export function parseFilter(text: string, type: EdmEntityType): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const expect = (value: string) => {
    if (tokens[i]?.text !== value)
      throw syntax(`Expected '${value}' at position ${(tokens[i]?.position ?? text.length) + 1}`);
    i++;
  };
  const primary = (): Node => {
    const token = tokens[i++];
    if (!token) throw syntax('Unexpected end of $filter');
    if (token.literal) return token.literal;
    if (token.text === '(') {
      const inner = or();
      expect(')');
      return inner;
    }
    if (FUNCTIONS.has(token.text)) {
      expect('(');
      const args = [or()];
      while (peek()?.text === ',') {
        i++;
        args.push(or());
      }
      expect(')');
      return { kind: 'call', name: token.text, args };
    }
    const property = type.properties.get(token.text);
    if (!property) throw syntax(`Property ${token.text} not found in type ${type.name}`);
    return { kind: 'property', name: property.name, type: property.type };
  };
  const comparison = (): Node => {
    const left = primary();
    const op = peek();
    if (op && COMPARISONS.has(op.text)) {
      i++;
      const right = primary();
      checkTypes(left, right, op);
      return { kind: 'compare', op: op.text, left, right, position: op.position };
    }
    return left;
  };
  const not = (): Node => {
    if (peek()?.text === 'not') {
      i++;
      return { kind: 'not', operand: not() };
    }
    return comparison();
  };
  const and = (): Node => {
    let left = not();
    while (peek()?.text === 'and') {
      i++;
      left = { kind: 'binary', op: 'and', left, right: not() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (peek()?.text === 'or') {
      i++;
      left = { kind: 'binary', op: 'or', left, right: and() };
    }
    return left;
  };
  const tree = or();
  if (i < tokens.length) throw syntax(`Invalid token '${tokens[i].text}' at position ${tokens[i].position + 1}`);
  return tree;
}

const NUMERIC = new Set<string>(['Edm.Decimal', 'Edm.Int32', 'Edm.Byte']);

function checkTypes(left: Node, right: Node, op: Token): void {
  const typeOf = (n: Node) => (n.kind === 'property' || n.kind === 'literal' ? n.type : undefined);
  const [a, b] = [typeOf(left), typeOf(right)];
  if (!a || !b || a === b || a === 'null' || b === 'null') return;
  if (NUMERIC.has(a) && NUMERIC.has(b)) return;
  throw syntax(`Invalid parametertype used at function '${op.text}' (Position: ${op.position + 1})`);
}

function value(node: Node, row: Row): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'property':
      return row[node.name] ?? (node.type === 'Edm.String' ? '' : null);
    default:
      return evaluate(node, row);
  }
}

function compare(a: Value, b: Value): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Binary order, as the database under Gateway compares character fields.
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

export function evaluate(node: Node, row: Row): boolean {
  switch (node.kind) {
    case 'binary':
      return node.op === 'and'
        ? evaluate(node.left, row) && evaluate(node.right, row)
        : evaluate(node.left, row) || evaluate(node.right, row);
    case 'not':
      return !evaluate(node.operand, row);
    case 'compare': {
      const [a, b] = [value(node.left, row), value(node.right, row)];
      if (a === null || b === null) {
        const same = a === b;
        if (node.op === 'eq') return same;
        if (node.op === 'ne') return !same;
        return false;
      }
      const c = compare(a, b);
      return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[node.op] ?? false;
    }
    case 'call': {
      const [x, y] = node.args.map((arg) => String(value(arg, row) ?? ''));
      if (node.name === 'substringof') return y.includes(x);
      if (node.name === 'startswith') return x.startsWith(y);
      return x.endsWith(y);
    }
    case 'property':
      return value(node, row) === true;
    case 'literal':
      return node.value === true;
  }
}

/** "$orderby=A asc,B desc" as a comparator. */
export function orderBy(text: string, type: EdmEntityType): (a: Row, b: Row) => number {
  const keys = text.split(',').map((part) => {
    const [name, direction = 'asc'] = part.trim().split(/\s+/);
    if (!type.properties.has(name)) throw syntax(`Property ${name} not found in type ${type.name}`);
    if (direction !== 'asc' && direction !== 'desc') throw syntax(`Invalid sort order '${direction}'`);
    return { name, sign: direction === 'desc' ? -1 : 1 };
  });
  return (a, b) => {
    for (const { name, sign } of keys) {
      const [x, y] = [a[name] ?? null, b[name] ?? null];
      if (x === y) continue;
      if (x === null) return -sign;
      if (y === null) return sign;
      const c = compare(x, y);
      if (c !== 0) return c * sign;
    }
    return 0;
  };
}
