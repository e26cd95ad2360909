import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** The bundle hub/ide/build.mjs writes, next to the compiled hub. */
const BUNDLE = new URL('../ide/', import.meta.url);
/** Where the page loads its assets from; `/graphql` itself stays the API's. */
export const IDE_ASSETS_PATH = '/ide/';
const ASSETS: Record<string, string> = {
  'ide.js': 'text/javascript; charset=utf-8',
  'ide.css': 'text/css; charset=utf-8',
  'licenses.txt': 'text/plain; charset=utf-8',
};
/** Everything from this hub; GraphiQL sets inline styles; the sockets go back to the same host. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

type Asset = { type: string; body: Buffer; gzipped?: Buffer };

/**
 * The GraphQL IDE (GraphiQL, bundled at build time; ADR 0025) for a browser opening `/graphql`.
 * The page and its assets are public, like any static file: they hold no data, and every operation
 * the IDE runs goes through `/graphql` with the token the user gives it, under the usual rules.
 */
export class GraphQLIde {
  readonly #page: string;
  readonly #assets: Map<string, Asset>;

  private constructor(page: string, assets: Map<string, Asset>) {
    this.#page = page;
    this.#assets = assets;
  }

  /** The IDE when the bundle was built (`npm run build`); null, and the hub runs without it, when not. */
  static load(devSignIn: { tokenEndpoint: string } | null): GraphQLIde | null {
    if (!existsSync(new URL('ide.js', BUNDLE))) return null;
    const assets = new Map<string, Asset>();
    for (const [name, type] of Object.entries(ASSETS)) {
      assets.set(name, { type, body: readFileSync(new URL(name, BUNDLE)) });
    }
    // `<` escaped: the settings sit inside a script element.
    const settings = JSON.stringify({ devSignIn }).replace(/</g, '\\u003c');
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>PlantGraph GraphQL</title>
<link rel="stylesheet" href="${IDE_ASSETS_PATH}ide.css">
<script type="application/json" id="plantgraph-ide">${settings}</script>
<script type="module" src="${IDE_ASSETS_PATH}ide.js"></script></head>
<body><div id="root"></div></body></html>`;
    return new GraphQLIde(page, assets);
  }

  /**
   * Whether this request to `/graphql` is a browser opening the page: a GET or HEAD that accepts
   * HTML and carries no operation. Clients sending operations by GET are never answered with it.
   */
  wants(req: IncomingMessage): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const search = new URL(req.url ?? '/', 'http://localhost').searchParams;
    if (search.has('query') || search.has('extensions')) return false;
    return (req.headers.accept ?? '').includes('text/html');
  }

  servePage(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
      vary: 'accept',
    });
    res.end(this.#page);
  }

  handles(path: string): boolean {
    return path.startsWith(IDE_ASSETS_PATH);
  }

  serveAsset(req: IncomingMessage, path: string, res: ServerResponse): void {
    const asset = this.#assets.get(path.slice(IDE_ASSETS_PATH.length));
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Nothing at ${path}.`);
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, {
      'content-type': asset.type,
      'x-content-type-options': 'nosniff',
      // Same URL after an upgrade: revalidate rather than keep an old IDE for a day.
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    // Compressed on first use, not at start: the hub's start-up stays quick and most runs never open the IDE.
    if (gzip) asset.gzipped ??= gzipSync(asset.body);
    res.end(gzip ? asset.gzipped : asset.body);
  }
}
