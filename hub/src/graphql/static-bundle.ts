import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** Everything from this hub; inline styles allowed (GraphiQL sets them); sockets go back to the same host. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

type Asset = { type: string; body: Buffer; gzipped?: Buffer };

/**
 * Static files a build step bundled next to the compiled hub (the IDE's, the console's), served
 * under one path prefix: public like any static file, they hold no data.
 */
export class StaticBundle {
  readonly #assets: Map<string, Asset>;

  private constructor(
    readonly prefix: string,
    assets: Map<string, Asset>,
  ) {
    this.#assets = assets;
  }

  /** The files when the bundle was built (its first file is there); null when not. */
  static load(folder: URL, prefix: string, files: Record<string, string>): StaticBundle | null {
    const names = Object.keys(files);
    if (!names[0] || !existsSync(new URL(names[0], folder))) return null;
    const assets = new Map<string, Asset>();
    for (const [name, type] of Object.entries(files))
      assets.set(name, { type, body: readFileSync(new URL(name, folder)) });
    return new StaticBundle(prefix, assets);
  }

  handles(path: string): boolean {
    return path.startsWith(this.prefix);
  }

  serve(req: IncomingMessage, path: string, res: ServerResponse): void {
    const asset = this.#assets.get(path.slice(this.prefix.length));
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Nothing at ${path}.`);
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, {
      'content-type': asset.type,
      'x-content-type-options': 'nosniff',
      // Same URL after an upgrade: revalidate rather than keep an old bundle for a day.
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    // Compressed on first use, not at start: the hub's start-up stays quick and most runs never open it.
    if (gzip) asset.gzipped ??= gzipSync(asset.body);
    res.end(gzip ? asset.gzipped : asset.body);
  }
}

/**
 * The HTML page of a bundle, with the hub's settings for it in a JSON script element. `connectTo`:
 * origins besides the hub's the page may fetch from (the console's identity provider).
 */
export function servePage(res: ServerResponse, page: string, connectTo: readonly string[] = []): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': connectTo.length
      ? CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${connectTo.join(' ')}`)
      : CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
    vary: 'accept',
  });
  res.end(page);
}

/** Settings for a page's script element: JSON with `<` escaped, as it sits inside a script element. */
export function pageSettings(settings: unknown): string {
  return JSON.stringify(settings).replace(/</g, '\\u003c');
}
