/**
 * The README's GraphQL examples as IDE tabs: every ```graphql block, titled by the heading above
 * it. One source for the README, the IDE's saved tabs and the IDE's browser test, so they cannot drift.
 */
export function readmeOperations(markdown) {
  const operations = [];
  let heading = 'PlantGraph';
  let block = null;
  for (const line of markdown.split('\n')) {
    if (block) {
      if (line.startsWith('```')) {
        const query = named(block.join('\n').trim(), heading);
        operations.push({ title: heading, query: `# ${heading} (from the README)\n${query}\n` });
        block = null;
      } else block.push(line);
    } else if (line.startsWith('```graphql')) block = [];
    else if (/^#{1,4} /.test(line)) heading = line.replace(/^#+ /, '').trim();
  }
  return operations;
}

/**
 * A document of one anonymous operation, named after its section (e.g. `query AFirstQuery`), so the
 * IDE's tab says what it is; others are left as written.
 */
function named(document, heading) {
  const operations = document.match(/^(query|mutation|subscription)\b|^\{/gm) ?? [];
  const anonymous = /^(?:(query|mutation|subscription)\s*)?([({])/m;
  if (operations.length !== 1 || !anonymous.test(document)) return document;
  const name = heading
    .replace(/[^A-Za-z0-9 ]/g, ' ')
    .replace(/(?:^|\s+)(\w)/g, (_, c) => c.toUpperCase())
    .replace(/\s+/g, '');
  return document.replace(anonymous, (_, kind, open) => `${kind ?? 'query'} ${name} ${open}`);
}
