// The dashboard's static files, served by vigil itself (no CDN): Pico CSS and htmx from
// node_modules, and our own small stylesheet and script from src/web/static.
// On Node they are read from disk once, at first use; a runtime without files (Workers) hands
// them in with provideAssets() before the first request. Versioned URLs let browsers cache
// them for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Hono } from 'hono';

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

const TYPES = {
  'pico.min.css': 'text/css',
  'htmx.min.js': 'text/javascript',
  'app.css': 'text/css',
  'app.js': 'text/javascript',
  'favicon.svg': 'image/svg+xml',
} as const;

export type AssetName = keyof typeof TYPES;

/** Where each file is on disk (Node). Resolved only when read, so that merely importing this
 * module needs no file system. */
function nodePath(name: AssetName): string {
  const require = createRequire(import.meta.url);
  // src/web/static in a source checkout; dist/web/static is a copy made by the build
  const staticFile = (file: string) => join(dirname(fileURLToPath(import.meta.url)), 'static', file);
  if (name === 'pico.min.css') return require.resolve('@picocss/pico/css/pico.min.css');
  if (name === 'htmx.min.js') return require.resolve('htmx.org/dist/htmx.min.js');
  return staticFile(name);
}

let loaded: Map<string, Asset> | null = null;

function toAsset(name: AssetName, body: Uint8Array): Asset {
  const etag = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  const type = TYPES[name].startsWith('text/') ? `${TYPES[name]}; charset=utf-8` : TYPES[name];
  return { body, type, etag };
}

function assets(): Map<string, Asset> {
  if (loaded) return loaded;
  loaded = new Map();
  for (const name of Object.keys(TYPES) as AssetName[]) {
    loaded.set(name, toAsset(name, new Uint8Array(readFileSync(nodePath(name)))));
  }
  return loaded;
}

/** The files' contents, for runtimes that cannot read them from disk; replaces any read before. */
export function provideAssets(files: Record<AssetName, string>): void {
  const encoder = new TextEncoder();
  loaded = new Map();
  for (const name of Object.keys(TYPES) as AssetName[]) {
    loaded.set(name, toAsset(name, encoder.encode(files[name])));
  }
}

/** The URL of an asset, with its content hash so a new version is a new URL. */
export function assetUrl(name: AssetName): string {
  const asset = assets().get(name);
  return `/assets/${name}?v=${asset?.etag ?? '0'}`;
}

export function assetRoutes<E extends Env>(app: Hono<E>): void {
  // browsers ask for it whatever the page says
  app.get('/favicon.ico', (c) => c.redirect(assetUrl('favicon.svg'), 301));
  app.get('/assets/:name', (c) => {
    const asset = assets().get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    if (c.req.header('if-none-match') === `"${asset.etag}"`) return c.body(null, 304);
    // svg is not text: no charset
    c.header('Content-Type', asset.type);
    c.header('ETag', `"${asset.etag}"`);
    c.header(
      'Cache-Control',
      c.req.query('v') ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
    );
    return c.body(new Uint8Array(asset.body));
  });
}
