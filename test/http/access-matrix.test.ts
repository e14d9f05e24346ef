// Who may reach what. Every /api/v1 operation (read from the OpenAPI document the server
// serves, so a new one is covered the day it appears), every compat route and every dashboard
// route (as their apps define them) is called, over real HTTP, by each caller that must not
// get at project ALPHA's data: nobody, a wrong key, ALPHA's read-only key, BRAVO's read-write
// key, BRAVO's user signed in through the login form, and ALPHA's ping key used as an API
// key. Each must get the status the code intends, and no answer to any of them but the
// read-only key may carry ALPHA's names, ids or keys. Afterwards ALPHA's objects are as they
// were. Every dashboard answer carries the security headers, and the sign-in cookies are
// HttpOnly, SameSite and (with an https base URL) Secure.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/users.ts';
import { loadConfig } from '../../src/config.ts';
import { type Server, startServer } from '../../src/server.ts';
import { tempDir } from '../e2e/server-process.ts';
import { createHarness } from '../helpers/harness.ts';
import { isAnswer, type RawResponse, send } from './raw-http.ts';
import {
  type ApiRoute,
  type AppRoute,
  apiRoutes,
  compatRoutes,
  fillPath,
  type OpenApiDoc,
  webRoutes,
} from './route-list.ts';

const BASE_URL = 'https://vigil.example.test';
const PASSWORD = 'correct horse battery staple';

let server: Server;
let dir: { dir: string; remove(): void };
let doc: OpenApiDoc;
let compat: AppRoute[];
let web: AppRoute[];
let alpha: Tenant;
let bravo: Tenant;
/** the Set-Cookie lines of a sign-in through the form */
let signInCookies: { session: string; loginCsrf: string };

interface Tenant {
  email: string;
  userId: string;
  /** the user's session cookie (`vigil_session=...`) and its CSRF token */
  cookie: string;
  csrf: string;
  projectId: string;
  pingKey: string;
  badgeKey: string;
  rw: string;
  ro: string;
  roId: string;
  ids: Record<
    'check' | 'channel' | 'maintenance' | 'incident' | 'source' | 'statusPage' | 'application',
    string
  >;
}

// --- HTTP ------------------------------------------------------------------------------------------

async function call(
  method: string,
  path: string,
  headers: [string, string][] = [],
  body?: string,
): Promise<RawResponse> {
  const out = await send(server.url, {
    method,
    path,
    headers,
    ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }),
  });
  if (!isAnswer(out)) throw new Error(`${method} ${path}: ${out.status}: ${out.error}`);
  return out;
}

const json = (value: unknown): [[string, string][], string] => [
  [['Content-Type', 'application/json']],
  JSON.stringify(value),
];

async function api<T = Record<string, unknown>>(key: string, method: string, path: string, body?: unknown) {
  const [type, text] = body === undefined ? [[], undefined] : json(body);
  const res = await call(method, `/api/v1${path}`, [['X-Api-Key', key], ...type], text);
  return { status: res.status, body: (res.body ? JSON.parse(res.body) : null) as T, raw: res };
}

const form = (fields: Record<string, string>): [[string, string][], string] => [
  [['Content-Type', 'application/x-www-form-urlencoded']],
  new URLSearchParams(fields).toString(),
];

/** A dashboard form post as `t`'s browser sends it: the cookie and the session's CSRF token. */
function post(t: Tenant, path: string, fields: Record<string, string> = {}) {
  const [type, body] = form({ ...fields, _csrf: t.csrf });
  return call('POST', path, [['Cookie', t.cookie], ...type], body);
}

const CSRF_FIELD = /name="_csrf" value="([^"]+)"/;

/** Signs in through the real form: GET /login for its CSRF cookie and field, then POST it. */
async function signIn(email: string): Promise<{ cookie: string; csrf: string; lines: string[] }> {
  const page = await call('GET', '/login');
  const loginCsrf = page.setCookie.find((c) => c.startsWith('vigil_login_csrf='))!;
  const token = CSRF_FIELD.exec(page.body)![1]!;
  const [type, body] = form({ _csrf: token, email, password: PASSWORD });
  const res = await call('POST', '/login', [['Cookie', loginCsrf.split(';')[0]!], ...type], body);
  expect(res.status, res.body).toBe(303);
  const lines = res.setCookie;
  const cookie = lines.find((c) => c.startsWith('vigil_session='))!.split(';')[0]!;
  const welcome = await call('GET', '/projects', [['Cookie', cookie]]);
  return { cookie, csrf: CSRF_FIELD.exec(welcome.body)![1]!, lines: [loginCsrf, ...lines] };
}

// --- two projects, each made the way its people make it -------------------------------------------

async function tenant(tag: 'ALPHA' | 'BRAVO'): Promise<Tenant> {
  const low = tag.toLowerCase();
  const email = `${low}-owner@example.com`;
  const user = await server.store.transaction((tx) => createUser(tx, email, PASSWORD, Date.now()));
  const session = await signIn(email);
  if (tag === 'ALPHA') {
    signInCookies = {
      session: session.lines.find((l) => l.startsWith('vigil_session='))!,
      loginCsrf: session.lines.find((l) => l.startsWith('vigil_login_csrf='))!,
    };
  }
  const t = { email, userId: user.id, cookie: session.cookie, csrf: session.csrf } as Tenant;
  expect((await post(t, '/projects', { name: `${tag}-PROJECT` })).status).toBe(303);
  const keyOf = async (fields: Record<string, string>) => {
    const page = await post(t, '/keys', fields);
    expect(page.status, page.body).toBe(200);
    return /<code class="copyable">(vgl_[^<]+)<\/code>/.exec(page.body)![1]!;
  };
  t.rw = await keyOf({ name: `${tag}-RW-KEY` });
  t.ro = await keyOf({ name: `${tag}-RO-KEY`, read_only: 'on' });
  const project = await api<{ id: string }>(t.rw, 'GET', '/project');
  t.projectId = project.body.id;
  const stored = (await server.store.getProject(t.projectId))!;
  t.pingKey = stored.pingKey;
  t.badgeKey = stored.badgeKey;
  t.roId = (await server.store.listApiKeys(t.projectId)).find((k) => k.readOnly)!.id;

  const made = async (path: string, body: unknown) => {
    const res = await api<{ id: string }>(t.rw, 'POST', path, body);
    expect(res.status, `${path}: ${res.raw.body}`).toBe(201);
    return res.body.id;
  };
  const interval = { kind: 'interval', period: 3600, grace: 600 };
  const check = await made('/checks', { slug: `${low}-backup`, name: `${tag}-CHECK`, schedule: interval });
  await made('/checks', {
    slug: `${low}-cron`,
    name: `${tag}-CRON`,
    schedule: { kind: 'cron', expression: '0 2 * * *', grace: 600 },
  });
  const channel = await made('/channels', {
    kind: 'webhook',
    name: `${tag}-CHANNEL`,
    config: { url: `http://127.0.0.1:9/${tag}-HOOK`, secret: `${tag}-SECRET-0123456789` },
  });
  const maintenance = await made('/maintenance', {
    name: `${tag}-WINDOW`,
    starts_at: '2030-01-01T00:00:00Z',
    ends_at: '2030-01-02T00:00:00Z',
  });
  const source = await made('/sources', {
    name: `${low}-source`,
    kind: 'supabase',
    config: {
      project_ref: 'abcdefghijklmnopqrst',
      access_token: `sbp_${'1'.repeat(40)}`,
      api_url: 'http://127.0.0.1:1',
    },
  });
  // a failure with a log: history, a flip and an open incident
  const ping = await call('POST', `/ping/${check}/fail`, [], `${tag}-FAILURE-LOG`);
  expect(ping.status).toBe(200);
  const incidents = await api<{ incidents: { id: number }[] }>(t.rw, 'GET', '/incidents');
  const incident = String(incidents.body.incidents[0]!.id);

  const compatPost = async (method: string, path: string, headers: [string, string][], body: unknown) => {
    const [type, text] = json(body);
    const res = await call(method, path, [...headers, ...type], text);
    expect(res.status, `${path}: ${res.body}`).toBeLessThan(300);
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  await compatPost('PUT', '/api/config', [['Authorization', `Bearer ${t.rw}`]], {
    checks: [{ name: `${low}-pulse`, display_name: `${tag}-PULSE` }],
  });
  await compatPost('POST', '/api/daemon/register', [['X-Api-Key', t.rw]], {
    daemonId: `${low}-worker`,
    version: `${tag}-VERSION`,
  });
  const application = await compatPost('POST', '/api/applications', [['X-Api-Key', t.rw]], {
    name: `${tag}-APP`,
    expected_interval: 60,
  });
  const page = await post(t, '/status-pages', {
    title: `${tag}-STATUS`,
    slug: `${low}-status`,
    checks: check,
  });
  expect(page.status, page.body).toBe(303);
  const statusPage = (await server.store.getStatusPageBySlug(`${low}-status`))!.id;
  t.ids = {
    check,
    channel,
    maintenance,
    incident,
    source,
    statusPage,
    application: application.id as string,
  };
  return t;
}

beforeAll(async () => {
  dir = tempDir('vigil-matrix-');
  const off = 'off';
  server = await startServer(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${join(dir.dir, 'vigil.db')}`,
      VIGIL_HOST: '127.0.0.1',
      VIGIL_PORT: '0',
      VIGIL_BASE_URL: BASE_URL,
      VIGIL_ALLOW_PRIVATE_URLS: '1',
      VIGIL_DELIVERY_TIMEOUT: '1',
      // this test counts statuses; rate limits have tests of their own
      VIGIL_RATE_LIMIT_PING: off,
      VIGIL_RATE_LIMIT_PING_ADDRESS: off,
      VIGIL_RATE_LIMIT_API: off,
      VIGIL_RATE_LIMIT_API_ADDRESS: off,
      VIGIL_RATE_LIMIT_LOGIN: off,
    }),
    { logger: pino({ level: 'silent' }) },
  );
  doc = JSON.parse((await call('GET', '/api/v1/openapi.json')).body) as OpenApiDoc;
  const h = await createHarness();
  compat = compatRoutes(h.deps);
  web = webRoutes(h.deps);
  await h.close();
  alpha = await tenant('ALPHA');
  bravo = await tenant('BRAVO');
});

afterAll(async () => {
  await server?.close();
  dir?.remove();
});

// --- callers and what gives ALPHA away ------------------------------------------------------------------

const CALLERS = [
  'nobody',
  'wrong key',
  'read-only key',
  "other project's key",
  "other project's user",
  'ping key as API key',
] as const;
type Caller = (typeof CALLERS)[number] | 'own key' | 'own user';

type Scheme = 'x-api-key' | 'bearer';

/** The credentials `caller` sends; a key goes in the header `scheme` names. */
function credentials(caller: Caller, scheme: Scheme): [string, string][] {
  const key = {
    nobody: null,
    'wrong key': `vgl_${'W'.repeat(32)}`,
    'read-only key': alpha.ro,
    "other project's key": bravo.rw,
    "other project's user": null,
    'ping key as API key': alpha.pingKey,
    'own key': alpha.rw,
    'own user': null,
  }[caller];
  if (caller === "other project's user") return [['Cookie', bravo.cookie]];
  if (caller === 'own user') return [['Cookie', alpha.cookie]];
  if (key === null) return [];
  return scheme === 'bearer' ? [['Authorization', `Bearer ${key}`]] : [['X-Api-Key', key]];
}

/** What in an answer would give ALPHA away: its names (all "ALPHA-..."), ids, keys, email. */
function alphaMarkers(): string[] {
  return [
    'ALPHA-',
    alpha.email,
    alpha.userId,
    alpha.projectId,
    alpha.pingKey,
    alpha.badgeKey,
    alpha.rw,
    alpha.ro,
    alpha.roId,
    // incident ids are small numbers, found in any answer
    ...Object.entries(alpha.ids)
      .filter(([name]) => name !== 'incident')
      .map(([, id]) => id),
  ];
}

/** Markers in `res` that the request did not carry itself (an echoed path is no leak). */
function leaks(res: RawResponse, path: string): string[] {
  const text = `${res.body}\n${JSON.stringify(res.headers)}`;
  return alphaMarkers().filter((m) => !path.includes(m) && text.includes(m));
}

type Expect = number | number[] | 'any';

interface Row {
  area: string;
  request: string;
  caller: Caller;
  expected: Expect;
  got: number;
  problem?: string;
  /** the answer showed ALPHA's data (expected of ALPHA's own keys and user: proves the markers work) */
  sawAlpha: boolean;
}

const rows: Row[] = [];

function fits(expected: Expect, status: number): boolean {
  if (status >= 500) return false;
  if (expected === 'any') return true;
  return [expected].flat().includes(status);
}

/** Records one cell of the matrix. */
function record(
  area: string,
  method: string,
  path: string,
  caller: Caller,
  expected: Expect,
  res: RawResponse,
  mayReadAlpha: boolean,
): void {
  const seen = leaks(res, path);
  const row: Row = {
    area,
    request: `${method} ${path}`,
    caller,
    expected,
    got: res.status,
    sawAlpha: seen.length > 0,
  };
  const leaked = mayReadAlpha ? [] : seen;
  if (leaked.length > 0) row.problem = `leaks ${leaked.join(', ')}`;
  else if (!fits(expected, res.status))
    row.problem = `expected ${JSON.stringify(expected)}: ${res.body.slice(0, 300)}`;
  rows.push(row);
}

/** A problem found besides the status and the markers. */
function flag(area: string, request: string, caller: Caller, res: RawResponse, problem: string): void {
  rows.push({
    area,
    request,
    caller,
    expected: 'any',
    got: res.status,
    problem: `${problem}: ${res.body.slice(0, 300)}`,
    sawAlpha: false,
  });
}

const mayRead = (caller: Caller) =>
  caller === 'read-only key' || caller === 'own key' || caller === 'own user';

// --- /api/v1 -----------------------------------------------------------------------------------------------

interface ApiRule {
  body?: unknown;
  query?: string;
  /** what BRAVO's read-write key gets: ALPHA's ids are unknown to it; a collection is its own */
  otherKey?: Expect;
  /** what ALPHA's read-only key gets, where that is not "reads yes, writes no" */
  readOnly?: Expect;
}

/** One rule per operation; an operation missing here gets defaultApiRule and is named in the output. */
const API_RULES: Record<string, ApiRule> = {
  'GET /events': {},
  'GET /checks/{id}/events': {},
  'POST /checks': { body: { slug: 'bravo-new', name: 'BRAVO-NEW' }, otherKey: 201 },
  'GET /checks': {},
  // ALPHA's slug: BRAVO gets a check of its own by that slug, never ALPHA's
  'PUT /checks/by-slug/{slug}': { body: { name: 'BRAVO-BY-SLUG' }, otherKey: 201 },
  'GET /checks/{id}': {},
  'PATCH /checks/{id}': { body: { name: 'BRAVO-HIJACK' } },
  'DELETE /checks/{id}': {},
  'POST /checks/{id}/pause': {},
  'POST /checks/{id}/resume': {},
  'GET /checks/{id}/pings': {},
  'GET /checks/{id}/flips': {},
  'POST /channels': {
    body: { kind: 'webhook', name: 'BRAVO-NEW', config: { url: 'http://127.0.0.1:9/b' } },
    otherKey: 201,
  },
  'GET /channels': {},
  'GET /channels/{id}': {},
  'PATCH /channels/{id}': { body: { name: 'BRAVO-HIJACK' } },
  'DELETE /channels/{id}': {},
  'POST /channels/{id}/test': {},
  'GET /checks/{id}/notifications': {},
  'POST /maintenance': {
    body: { name: 'BRAVO-NEW', starts_at: '2031-01-01T00:00:00Z', ends_at: '2031-01-02T00:00:00Z' },
    otherKey: 201,
  },
  'GET /maintenance': {},
  'POST /maintenance/now': { body: { name: 'BRAVO-NOW' }, query: '?duration=60', otherKey: 201 },
  'GET /maintenance/{id}': {},
  'PATCH /maintenance/{id}': { body: { name: 'BRAVO-HIJACK' } },
  'DELETE /maintenance/{id}': {},
  'GET /checks/{id}/routes': {},
  // ALPHA's slug from BRAVO's key: BRAVO has no such check
  'POST /checkins': { body: { slug: 'alpha-backup', status: 'error' }, otherKey: 404 },
  'GET /project': {},
  'PATCH /project': { body: { silence_period: 600 }, otherKey: 200 },
  'GET /incidents': {},
  'POST /incidents/{id}/acknowledge': {},
  'GET /sources': {},
  'POST /sources': {
    body: {
      name: 'bravo-source-2',
      kind: 'supabase',
      config: {
        project_ref: 'abcdefghijklmnopqrst',
        access_token: `sbp_${'2'.repeat(40)}`,
        api_url: 'http://127.0.0.1:1',
      },
    },
    otherKey: 201,
  },
  'GET /sources/{id}': {},
  'PATCH /sources/{id}': { body: { sync_interval: 300 } },
  'DELETE /sources/{id}': {},
  'POST /sources/{id}/sync': {},
  'GET /sources/{id}/summary': {},
  // it names people and addresses: read-write keys only; BRAVO's is BRAVO's own log
  'GET /audit': { readOnly: 403 },
};

/** A new operation: reads need the read-only key at least, writes a read-write one. */
function defaultApiRule(route: ApiRoute): ApiRule {
  return {
    body: route.body ? {} : undefined,
    otherKey: route.pathParams.length > 0 ? [400, 404] : route.method === 'GET' ? 200 : 'any',
  };
}

/** ALPHA's object named by a path: `/checks/{id}` is its check, `/sources/{id}` its source. */
function alphaIdFor(path: string): string {
  const byCollection: Record<string, string> = {
    checks: alpha.ids.check,
    channels: alpha.ids.channel,
    maintenance: alpha.ids.maintenance,
    incidents: alpha.ids.incident,
    sources: alpha.ids.source,
    'status-pages': alpha.ids.statusPage,
    keys: alpha.roId,
    applications: alpha.ids.application,
    heartbeat: alpha.ids.application,
  };
  const collection = path.split('/').find((s) => s in byCollection && s !== '');
  return collection ? byCollection[collection]! : alpha.ids.check;
}

function apiExpected(route: ApiRoute, rule: ApiRule, caller: Caller): Expect {
  const read = route.method === 'GET';
  switch (caller) {
    case 'nobody':
    case 'wrong key':
    case 'ping key as API key':
      return 401;
    case 'read-only key':
      return rule.readOnly ?? (read ? 200 : 403);
    case 'own key':
      return 200;
    case "other project's key":
      return rule.otherKey ?? (route.pathParams.length > 0 ? 404 : 200);
    case "other project's user":
    case 'own user':
      // only the event streams take a dashboard session
      if (!route.session) return 401;
      return route.pathParams.length > 0 && caller !== 'own user' ? 404 : 200;
  }
}

// --- compat routes --------------------------------------------------------------------------------------

interface CompatRule {
  scheme: Scheme;
  body?: unknown;
  query?: string;
  /** a key that is not one (wrong, or a ping key): 401, or 403 where the original API said "Invalid Token" */
  wrongKey?: Expect;
  otherKey: Expect;
  /** no key at all: the path's UUID is the secret, like a ping URL */
  open?: boolean;
}

const COMPAT_RULES: Record<string, CompatRule> = {
  'PUT /api/config': {
    scheme: 'bearer',
    body: { checks: [{ name: 'bravo-pulse-2', display_name: 'BRAVO-PULSE-2' }] },
    wrongKey: 403,
    otherKey: 200,
  },
  'POST /api/pulse': {
    scheme: 'bearer',
    body: { check_name: 'alpha-pulse', status: 'error' },
    wrongKey: 403,
    otherKey: 404,
  },
  'POST /api/maintenance/:projectId': {
    scheme: 'bearer',
    query: '?duration=60',
    wrongKey: 403,
    otherKey: 403,
  },
  'GET /api/status': { scheme: 'bearer', wrongKey: 403, otherKey: 200 },
  'POST /api/daemon/register': { scheme: 'x-api-key', body: { daemonId: 'bravo-worker-2' }, otherKey: 201 },
  'POST /api/daemon/heartbeat': {
    scheme: 'x-api-key',
    body: { daemonId: 'alpha-worker', status: 'unhealthy' },
    otherKey: 404,
  },
  'GET /api/daemon/health': { scheme: 'x-api-key', otherKey: 200 },
  'POST /heartbeat/:uuid': { scheme: 'x-api-key', otherKey: 200, open: true },
  'GET /api/applications': { scheme: 'x-api-key', otherKey: 200 },
  'POST /api/applications': {
    scheme: 'bearer',
    body: { name: 'BRAVO-APP-2', expected_interval: 60 },
    otherKey: 201,
  },
  'GET /api/applications/:id': { scheme: 'x-api-key', otherKey: 404 },
  'PUT /api/applications/:id': { scheme: 'x-api-key', body: { name: 'BRAVO-HIJACK' }, otherKey: 404 },
  'DELETE /api/applications/:id': { scheme: 'x-api-key', otherKey: 404 },
  'GET /api/applications/:id/heartbeats': { scheme: 'x-api-key', otherKey: 404 },
  'GET /llms.txt': { scheme: 'x-api-key', otherKey: 200, open: true },
};

function compatExpected(route: AppRoute, rule: CompatRule, caller: Caller): Expect {
  if (rule.open) return 200;
  switch (caller) {
    case 'nobody':
    case "other project's user":
    case 'own user':
      return 401;
    case 'wrong key':
    case 'ping key as API key':
      return rule.wrongKey ?? 401;
    case 'read-only key':
      return route.method === 'GET' ? 200 : 403;
    case 'own key':
      return 200;
    case "other project's key":
      return rule.otherKey;
  }
}

// --- dashboard -------------------------------------------------------------------------------------------

interface WebRule {
  /** without a session (keys do not sign anyone in): the sign-in page, unless said otherwise */
  anonymous?: Expect;
  /** BRAVO's user: ALPHA's objects are unknown, its own pages are its own project's */
  other?: Expect;
  /** ALPHA's user, for the pages that read */
  own?: Expect;
  /** public by design (a status page, a badge): shows ALPHA's data to anyone */
  publicData?: boolean;
  fields?: Record<string, string>;
  /** ends the session it is sent with: not sent with one */
  endsSession?: boolean;
}

const SIGN_IN = 303;

/** The routes whose answer is not "sign in" / "not found" / "yours"; the rest follow from their shape. */
const WEB_RULES: Record<string, WebRule> = {
  'GET /favicon.ico': { anonymous: 301, other: 301, own: 301 },
  'GET /assets/:name': { anonymous: 200, other: 200, own: 200 },
  'GET /status/:slug': { anonymous: 200, other: 200, own: 200, publicData: true },
  'GET /badge/:key/*': { anonymous: 200, other: 200, own: 200, publicData: true },
  'GET /login': { anonymous: 200, other: 303, own: 303 },
  // without the sign-in form's cookie
  'POST /login': { anonymous: 403, other: 403 },
  'POST /logout': { anonymous: 303, endsSession: true },
  'GET /': { other: 303, own: 303 },
  'GET /welcome': { other: 303, own: 303 },
  'POST /projects/members/:userId/role': { other: 404, fields: { role: 'read-only' } },
};

function webRule(route: AppRoute): WebRule {
  const explicit = WEB_RULES[`${route.method} ${route.path}`];
  const hasParams = /[:*]/.test(route.path);
  const other: Expect = hasParams ? 404 : route.method === 'GET' ? 200 : 'any';
  return { anonymous: SIGN_IN, other, own: 200, ...explicit };
}

function webPath(route: AppRoute): string {
  return route.path
    .replace(':userId', alpha.userId)
    .replace(/:n\b/, '1')
    .replace(':slug', 'alpha-status')
    .replace(':key', alpha.badgeKey)
    .replace(':name', 'app.js')
    .replace('*', 'alpha-backup.svg')
    .replace(':id', alphaIdFor(route.path));
}

function webExpected(rule: WebRule, caller: Caller): Expect {
  if (caller === "other project's user") return rule.other ?? 'any';
  if (caller === 'own user') return rule.own ?? 'any';
  return rule.anonymous ?? SIGN_IN;
}

// --- security headers ----------------------------------------------------------------------------------

function directive(csp: string, name: string): string | null {
  const found = csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.split(/\s+/)[0] === name);
  return found ?? null;
}

/** What every dashboard, status and badge answer must carry; the problems found. */
function headerProblems(res: RawResponse): string[] {
  const problems: string[] = [];
  const csp = String(res.headers['content-security-policy'] ?? '');
  const scripts = directive(csp, 'script-src') ?? directive(csp, 'default-src');
  if (!csp) problems.push('no Content-Security-Policy');
  else {
    if (!scripts) problems.push('CSP: no script-src or default-src');
    if (scripts && /'unsafe-inline'|'unsafe-eval'|\*/.test(scripts)) problems.push(`CSP: ${scripts}`);
    if (directive(csp, 'frame-ancestors') !== "frame-ancestors 'none'")
      problems.push("CSP: no frame-ancestors 'none'");
  }
  if (res.headers['x-content-type-options'] !== 'nosniff')
    problems.push('no X-Content-Type-Options: nosniff');
  if (!res.headers['referrer-policy']) problems.push('no Referrer-Policy');
  if (/^text\/html/.test(String(res.headers['content-type']))) {
    // the CSP forbids inline script: a page that had some would be broken, not protected
    const inline = [...res.body.matchAll(/<script\b([^>]*)>/gi)].filter(
      ([, attrs]) => !/\bsrc=/.test(attrs!) && !/type="application\/(ld\+)?json"/.test(attrs!),
    );
    if (inline.length > 0) problems.push('an inline <script>');
    if (/\son[a-z]+="/i.test(res.body)) problems.push('an inline event handler attribute');
  }
  return problems;
}

const headerRows: { request: string; caller: Caller; problems: string[] }[] = [];

// --- the matrix ------------------------------------------------------------------------------------------

describe('access matrix', () => {
  it('reads the routes from where they are defined', () => {
    expect(apiRoutes(doc).length).toBeGreaterThan(20);
    expect(compat.length).toBeGreaterThan(5);
    expect(web.length).toBeGreaterThan(30);
  });

  it('/api/v1: every operation × every caller', async () => {
    const defaulted: string[] = [];
    for (const route of apiRoutes(doc)) {
      const id = `${route.method} ${route.path}`;
      let rule = API_RULES[id];
      if (!rule) {
        rule = defaultApiRule(route);
        defaulted.push(id);
      }
      const values = Object.fromEntries(
        route.pathParams.map((p) => [p, p === 'slug' ? 'alpha-cron' : alphaIdFor(route.path)]),
      );
      const path = `/api/v1${fillPath(route.path, values)}${rule.query ?? ''}`;
      const callers: Caller[] = [...CALLERS, ...(route.method === 'GET' ? (['own key'] as const) : [])];
      if (route.session && route.method === 'GET') callers.push('own user');
      for (const caller of callers) {
        const [type, body] = rule.body === undefined ? [[], undefined] : json(rule.body);
        const res = await call(route.method, path, [...credentials(caller, 'x-api-key'), ...type], body);
        record('api', route.method, path, caller, apiExpected(route, rule, caller), res, mayRead(caller));
        if (res.status >= 400) {
          const error = (JSON.parse(res.body) as { error?: { code?: string; message?: string } }).error;
          if (!error?.code || !error.message)
            flag('api', `${route.method} ${path}`, caller, res, 'not the error shape');
        }
      }
    }
    if (defaulted.length > 0) {
      console.warn(`access matrix: no rule for ${defaulted.join(', ')}; used the default by method`);
    }
    expect(rows.filter((r) => r.area === 'api' && r.problem)).toEqual([]);
  });

  it('the compat APIs: every route × every caller', async () => {
    const defaulted: string[] = [];
    for (const route of compat) {
      const id = `${route.method} ${route.path}`;
      let rule = COMPAT_RULES[id];
      if (!rule) {
        rule = { scheme: 'x-api-key', otherKey: 'any', wrongKey: [401, 403] };
        defaulted.push(id);
      }
      const path = `${route.path.replace(':projectId', alpha.projectId).replace(/:(id|uuid)/, alpha.ids.application)}${rule.query ?? ''}`;
      const callers: Caller[] = [...CALLERS, ...(route.method === 'GET' ? (['own key'] as const) : [])];
      for (const caller of callers) {
        const [type, body] = rule.body === undefined ? [[], undefined] : json(rule.body);
        const res = await call(route.method, path, [...credentials(caller, rule.scheme), ...type], body);
        record(
          'compat',
          route.method,
          path,
          caller,
          compatExpected(route, rule, caller),
          res,
          mayRead(caller),
        );
      }
    }
    if (defaulted.length > 0) console.warn(`access matrix: no compat rule for ${defaulted.join(', ')}`);
    expect(rows.filter((r) => r.area === 'compat' && r.problem)).toEqual([]);
  });

  it('the dashboard: every route × every caller, with its security headers', async () => {
    for (const route of web) {
      const rule = webRule(route);
      const path = webPath(route);
      const callers: Caller[] = [...CALLERS];
      if (route.method === 'GET') callers.push('own user');
      for (const caller of callers) {
        if (rule.endsSession && (caller === "other project's user" || caller === 'own user')) continue;
        const session = caller === "other project's user" ? bravo : caller === 'own user' ? alpha : null;
        const auth = credentials(caller, 'x-api-key');
        // a key is also tried the other way: neither signs anyone in to the dashboard
        if (caller.endsWith('key')) auth.push(...credentials(caller, 'bearer'));
        let res: RawResponse;
        if (route.method === 'GET') {
          res = await call('GET', path, auth);
        } else {
          const [type, body] = form({ ...rule.fields, ...(session ? { _csrf: session.csrf } : {}) });
          res = await call(route.method, path, [...auth, ...type], body);
        }
        const mayReadHere = mayRead(caller) || rule.publicData === true;
        record('web', route.method, path, caller, webExpected(rule, caller), res, mayReadHere);
        // without a session, "303" must mean the sign-in page
        if (!session && res.status === SIGN_IN && webExpected(rule, caller) === SIGN_IN) {
          if (!String(res.headers.location).startsWith('/login'))
            flag('web', `${route.method} ${path}`, caller, res, `sent to ${res.headers.location}`);
        }
        headerRows.push({ request: `${route.method} ${path}`, caller, problems: headerProblems(res) });
      }
      // switching to ALPHA's project by query changes nothing for a user who is not in it
      if (route.method === 'GET' && !/[:*]/.test(route.path)) {
        const switched = `${path}?project=${alpha.projectId}`;
        const res = await call('GET', switched, credentials("other project's user", 'x-api-key'));
        record(
          'web',
          'GET',
          switched,
          "other project's user",
          webExpected(rule, "other project's user"),
          res,
          rule.publicData === true,
        );
      }
    }
    expect(rows.filter((r) => r.area === 'web' && r.problem)).toEqual([]);
    expect(headerRows.filter((r) => r.problems.length > 0)).toEqual([]);
  });

  it('the markers are seen where ALPHA may look: the leak check can fail', () => {
    const own = rows.filter((r) => mayRead(r.caller) && r.got === 200);
    expect(own.length).toBeGreaterThan(40);
    // every item page or resource of ALPHA's shows ALPHA's data to ALPHA's own callers
    expect(own.filter((r) => r.sawAlpha).length).toBeGreaterThan(own.length / 2);
  });

  it('left ALPHA as it was: nothing renamed, deleted, paused, acknowledged or revoked', async () => {
    const get = (path: string) => api<Record<string, unknown>>(alpha.rw, 'GET', path);
    expect((await get(`/checks/${alpha.ids.check}`)).body).toMatchObject({
      name: 'ALPHA-CHECK',
      status: 'down',
    });
    expect((await get(`/channels/${alpha.ids.channel}`)).body).toMatchObject({ name: 'ALPHA-CHANNEL' });
    expect((await get(`/maintenance/${alpha.ids.maintenance}`)).body).toMatchObject({ name: 'ALPHA-WINDOW' });
    expect((await get(`/sources/${alpha.ids.source}`)).body).toMatchObject({
      name: 'alpha-source',
      sync_interval: 60,
    });
    expect((await get('/project')).body).toMatchObject({ name: 'ALPHA-PROJECT', silence_period: 3600 });
    const incidents = await api<{ incidents: { id: number; acknowledged_at: string | null }[] }>(
      alpha.rw,
      'GET',
      '/incidents',
    );
    expect(incidents.body.incidents.find((i) => String(i.id) === alpha.ids.incident)).toMatchObject({
      acknowledged_at: null,
    });
    const checks = await api<{ checks: { slug: string; name: string }[] }>(alpha.rw, 'GET', '/checks');
    expect(checks.body.checks.map((c) => c.name)).not.toContain('BRAVO-BY-SLUG');
    expect(checks.body.checks.find((c) => c.slug === 'alpha-cron')).toMatchObject({ name: 'ALPHA-CRON' });
    const app = await call('GET', `/api/applications/${alpha.ids.application}`, [['X-Api-Key', alpha.rw]]);
    expect(JSON.parse(app.body)).toMatchObject({ name: 'ALPHA-APP' });
    expect(await server.store.getStatusPageBySlug('alpha-status')).toMatchObject({ title: 'ALPHA-STATUS' });
    expect((await server.store.listApiKeys(alpha.projectId)).map((k) => k.id)).toContain(alpha.roId);
    expect((await server.store.listMemberships(alpha.userId)).map((m) => m.projectId)).toEqual([
      alpha.projectId,
    ]);
    // and the read-only key and the session still work
    expect((await api(alpha.ro, 'GET', '/checks')).status).toBe(200);
    expect((await call('GET', '/checks', [['Cookie', alpha.cookie]])).status).toBe(200);
  });
});

describe('security headers and cookies', () => {
  it('signing in sets HttpOnly, SameSite, Secure cookies (the base URL is https)', () => {
    for (const line of [signInCookies.session, signInCookies.loginCsrf]) {
      const attrs = line.split(';').map((a) => a.trim().toLowerCase());
      expect(attrs, line).toContain('httponly');
      expect(attrs, line).toContain('secure');
      expect(
        attrs.some((a) => a === 'samesite=lax' || a === 'samesite=strict'),
        line,
      ).toBe(true);
    }
    expect(signInCookies.session.toLowerCase()).toContain('samesite=lax');
  });

  const pages: [string, () => Promise<RawResponse>][] = [
    ['a path nothing serves', () => call('GET', '/no-such-page')],
    [
      'a dashboard 404 page',
      () => call('GET', '/checks/00000000-0000-4000-8000-000000000000', [['Cookie', alpha.cookie]]),
    ],
    ['a status page that does not exist', () => call('GET', '/status/no-such-status')],
    [
      'the CSRF refusal',
      () =>
        call(
          'POST',
          '/checks/new',
          [['Cookie', alpha.cookie], ...form({ name: 'x' })[0]],
          form({ name: 'x' })[1],
        ),
    ],
    ['a form too large (413)', () => call('POST', '/login', form({})[0], `email=${'a'.repeat(100 * 1024)}`)],
    [
      'a sign-in that fails',
      async () => {
        const page = await call('GET', '/login');
        const cookie = page.setCookie[0]!.split(';')[0]!;
        const [type, body] = form({
          _csrf: CSRF_FIELD.exec(page.body)![1]!,
          email: 'nobody@example.com',
          password: 'wrong',
        });
        return call('POST', '/login', [['Cookie', cookie], ...type], body);
      },
    ],
  ];
  for (const [name, get] of pages) {
    it(`${name} carries them too`, async () => {
      const res = await get();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(headerProblems(res)).toEqual([]);
    });
  }
});
