// The routes vigil serves, read from where they are defined rather than typed out again, so a
// route added later is fuzzed and access-checked without anyone remembering these tests:
// /api/v1 from the OpenAPI document the app serves, the compat and dashboard routes from the
// Hono apps themselves, the ping URL forms from the protocol table in docs/pings.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { mountCompatRoutes } from '../../src/http/compat/routes.ts';
import type { AppDeps } from '../../src/http/deps.ts';
import { webApp } from '../../src/web/app.ts';
import { ROOT } from '../e2e/server-process.ts';

/** A JSON Schema as the OpenAPI document has it (only what the generators read). */
export type JsonSchema = Record<string, unknown>;

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
  security?: Record<string, string[]>[];
}

interface Operation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, string[]>[];
}

export interface ApiRoute {
  method: string;
  /** as in the document: `/checks/{id}` */
  path: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  body: JsonSchema | null;
  /** the operation takes a dashboard session cookie as well as an API key */
  session: boolean;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

export function apiRoutes(doc: OpenApiDoc): ApiRoute[] {
  const out: ApiRoute[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!HTTP_METHODS.has(method)) continue;
      const security = op.security ?? doc.security ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: (op.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        session: security.some((s) => 'session' in s),
      });
    }
  }
  return out;
}

/** `/checks/{id}` with the values given; each value is %-encoded unless `raw`. */
export function fillPath(template: string, values: Record<string, string>, raw = false): string {
  return template.replace(/\{(\w+)\}|:(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = values[name];
    if (v === undefined) throw new Error(`no value for ${name} in ${template}`);
    return raw ? v : encodeURIComponent(v);
  });
}

export interface AppRoute {
  method: string;
  /** Hono's form: `/api/applications/:id` */
  path: string;
}

/**
 * Method and path of every handler. Middleware (`use`) shows up as method ALL; these apps
 * register their handlers for real methods, so ALL entries are left out.
 */
function handlers(routes: readonly AppRoute[]): AppRoute[] {
  const seen = new Set<string>();
  const out: AppRoute[] = [];
  for (const r of routes) {
    const id = `${r.method} ${r.path}`;
    if (r.method === 'ALL' || seen.has(id)) continue;
    seen.add(id);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

/** The compat APIs and /llms.txt, as mounted on the app. */
export function compatRoutes(deps: AppDeps): AppRoute[] {
  const app = new Hono();
  mountCompatRoutes(app, deps);
  return handlers(app.routes);
}

/** The dashboard, status pages, badges and assets. */
export function webRoutes(deps: AppDeps): AppRoute[] {
  return handlers(webApp(deps).routes);
}

/**
 * The ping URL forms of the protocol table in docs/pings.md, e.g. `/ping/<uuid>/start` and
 * `/ping/<ping-key>/<slug>[/start|/fail|/log|/<code>]` (an optional choice in brackets).
 */
export function pingTemplates(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/pings.md'), 'utf8');
  const forms = [...doc.matchAll(/^\| `(\/ping\/[^`]+)` \|/gm)].map((m) => m[1]!.replaceAll('\\|', '|'));
  if (forms.length === 0) throw new Error('no ping URL forms found in docs/pings.md');
  return forms;
}
