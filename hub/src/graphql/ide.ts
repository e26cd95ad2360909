import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageSettings, StaticBundle, servePage } from './static-bundle.js';

/** Where the page loads its assets from; `/graphql` itself stays the API's. */
export const IDE_ASSETS_PATH = '/ide/';

/**
 * The GraphQL IDE (GraphiQL, bundled at build time; ADR 0025) for a browser opening `/graphql`.
 * The page and its assets are public, like any static file: they hold no data, and every operation
 * the IDE runs goes through `/graphql` with the token the user gives it, under the usual rules.
 */
export class GraphQLIde {
  readonly #page: string;
  readonly #assets: StaticBundle;

  private constructor(page: string, assets: StaticBundle) {
    this.#page = page;
    this.#assets = assets;
  }

  /** The IDE when the bundle was built (`npm run build`); null, and the hub runs without it, when not. */
  static load(devSignIn: { tokenEndpoint: string } | null): GraphQLIde | null {
    const assets = StaticBundle.load(new URL('../ide/', import.meta.url), IDE_ASSETS_PATH, {
      'ide.js': 'text/javascript; charset=utf-8',
      'ide.css': 'text/css; charset=utf-8',
      'licenses.txt': 'text/plain; charset=utf-8',
    });
    if (!assets) return null;
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>PlantGraph GraphQL</title>
<link rel="stylesheet" href="${IDE_ASSETS_PATH}ide.css">
<script type="application/json" id="plantgraph-ide">${pageSettings({ devSignIn })}</script>
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
    servePage(res, this.#page);
  }

  handles(path: string): boolean {
    return this.#assets.handles(path);
  }

  serveAsset(req: IncomingMessage, path: string, res: ServerResponse): void {
    this.#assets.serve(req, path, res);
  }
}
