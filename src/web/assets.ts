// The dashboard's static files, served by vigil itself (no CDN): Pico CSS and htmx from
// node_modules, and our own small stylesheet and script from src/web/static.
// Read once at start-up; versioned URLs let browsers cache them for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Hono } from 'hono';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

const FILES: Record<string, { path: () => string; type: string }> = {
  'pico.min.css': { path: () => require.resolve('@picocss/pico/css/pico.min.css'), type: 'text/css' },
  'htmx.min.js': { path: () => require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript' },
  'app.css': { path: () => staticFile('app.css'), type: 'text/css' },
  'app.js': { path: () => staticFile('app.js'), type: 'text/javascript' },
  'favicon.svg': { path: () => staticFile('favicon.svg'), type: 'image/svg+xml' },
};

/** src/web/static in a source checkout; dist/web/static is a copy made by the build. */
function staticFile(name: string): string {
  return join(here, 'static', name);
}

let loaded: Map<string, Asset> | null = null;

function assets(): Map<string, Asset> {
  if (loaded) return loaded;
  loaded = new Map();
  for (const [name, file] of Object.entries(FILES)) {
    const body = readFileSync(file.path());
    const etag = createHash('sha256').update(body).digest('base64url').slice(0, 16);
    const type = file.type.startsWith('text/') ? `${file.type}; charset=utf-8` : file.type;
    loaded.set(name, { body, type, etag });
  }
  return loaded;
}

/** The URL of an asset, with its content hash so a new version is a new URL. */
export function assetUrl(name: keyof typeof FILES & string): string {
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
