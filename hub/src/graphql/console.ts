import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageSettings, StaticBundle, servePage } from './static-bundle.js';

/** The console's page; its screens are in the address's fragment (`/console#/andon?scope=…`). */
export const CONSOLE_PATH = '/console';
const CONSOLE_ASSETS_PATH = '/console/assets/';

/**
 * How the console signs people in (OpenID Connect authorization code with PKCE): at the issuer (a
 * path like `/dev-idp` is on the hub, reached by the browser's own origin) as this public client;
 * or why it cannot (`error`), said on its sign-in page.
 */
export type ConsoleSignIn = { issuer: string; clientId: string; scopes: string } | { error: string } | null;

/**
 * The plant console (console/, bundled at build time into hub/dist/console; ADR 0044): andon, OEE
 * board, orders and the operator's station. Static and public like the IDE: every operation it runs
 * goes to `/graphql` with the signed-in person's token, under the usual rules. Unlike the IDE it
 * needs no introspection, so production serves it too.
 */
export class PlantConsole {
  readonly #page: string;
  readonly #assets: StaticBundle;
  readonly #connectTo: string[];

  private constructor(page: string, assets: StaticBundle, connectTo: string[]) {
    this.#page = page;
    this.#assets = assets;
    this.#connectTo = connectTo;
  }

  /**
   * The console when it was built (`npm run build`); null, and the hub runs without it, when not.
   * Signers of signatures sign in afresh at the same provider (a forced new login in a popup).
   */
  static load(signIn: ConsoleSignIn): PlantConsole | null {
    const assets = StaticBundle.load(new URL('../console/', import.meta.url), CONSOLE_ASSETS_PATH, {
      'console.js': 'text/javascript; charset=utf-8',
      'console.css': 'text/css; charset=utf-8',
      'licenses.txt': 'text/plain; charset=utf-8',
    });
    if (!assets) return null;
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>PlantGraph console</title>
<link rel="stylesheet" href="${CONSOLE_ASSETS_PATH}console.css">
<script type="application/json" id="plantgraph-console">${pageSettings({ signIn })}</script>
<script type="module" src="${CONSOLE_ASSETS_PATH}console.js"></script></head>
<body><div id="root"></div></body></html>`;
    // The page fetches discovery and tokens from the identity provider: its origin joins the CSP's connect-src.
    const external = signIn && 'issuer' in signIn && /^https?:/.test(signIn.issuer);
    return new PlantConsole(page, assets, external ? [new URL(signIn.issuer).origin] : []);
  }

  /** `/console` and `/console/` are the page, `/console/assets/…` its files. */
  handles(path: string): boolean {
    return path === CONSOLE_PATH || path === `${CONSOLE_PATH}/` || this.#assets.handles(path);
  }

  serve(req: IncomingMessage, path: string, res: ServerResponse): void {
    if (this.#assets.handles(path)) this.#assets.serve(req, path, res);
    else if (req.method === 'GET' || req.method === 'HEAD') servePage(res, this.#page, this.#connectTo);
    else {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('The console is a page: GET it.');
    }
  }
}
