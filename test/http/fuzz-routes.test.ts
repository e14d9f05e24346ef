// Property-based tests over every route a client can reach without a browser: each ping URL
// form (docs/pings.md), each /api/v1 operation (from the OpenAPI document the server serves)
// and each compat route (as mounted). Random methods, path parameters, query strings,
// headers and bodies go over real HTTP to a real `vigil serve` child process, which must never
// answer 5xx, never crash, always answer errors in the documented shape, and keep answering.
//
// A failure prints fast-check's seed and path; FUZZ_SEED=<seed> FUZZ_PATH=<path> replays it.
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startVigil, tempDir, type VigilProcess } from '../e2e/server-process.ts';
import { createHarness } from '../helpers/harness.ts';
import {
  type Body,
  bodies,
  contentType,
  DEEP_ARRAY,
  DEEP_OBJECT,
  extraHeaders,
  nastySegment,
  queryString,
} from './fuzz-inputs.ts';
import {
  describe as describeRequest,
  isAnswer,
  type RawOutcome,
  type RawRequest,
  type RawResponse,
  send,
} from './raw-http.ts';
import {
  type ApiRoute,
  type AppRoute,
  apiRoutes,
  compatRoutes,
  fillPath,
  type OpenApiDoc,
  pingTemplates,
} from './route-list.ts';

/**
 * Runs per property: together well under a minute on a busy two-core machine. FUZZ_SCALE=10
 * runs ten times as many, for a longer hunt.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = { api: 400 * SCALE, ping: 250 * SCALE, compat: 250 * SCALE };
const params = {
  seed: process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED),
  path: process.env.FUZZ_PATH,
  // the counterexample is printed as found; shrinking over HTTP is slow and seldom shorter
  endOnFailure: true,
};

let vigil: VigilProcess;
let dir: { dir: string; remove(): void };
let key: string;
let pingKey: string;
let doc: OpenApiDoc;
let routes: ApiRoute[];
let compat: AppRoute[];
/** real ids and names, so fuzzed requests also reach objects that exist */
const real: Record<string, string[]> = {};
/** valid bodies per "METHOD path", mutated by the fuzzer */
const examples: Record<string, unknown[]> = {};

function remember(route: string, body: unknown): void {
  examples[route] = [...(examples[route] ?? []), body];
}

beforeAll(async () => {
  dir = tempDir('vigil-fuzz-');
  vigil = await startVigil({
    dbPath: join(dir.dir, 'vigil.db'),
    // alerts and source syncs go to closed local ports and fail at once; a fuzzed URL elsewhere
    // gives up after a second
    env: {
      VIGIL_DELIVERY_TIMEOUT: '1',
      // thousands of requests from one address and key in seconds: not what this test is about
      VIGIL_RATE_LIMIT_PING: 'off',
      VIGIL_RATE_LIMIT_PING_ADDRESS: 'off',
      VIGIL_RATE_LIMIT_API: 'off',
      VIGIL_RATE_LIMIT_API_ADDRESS: 'off',
      VIGIL_RATE_LIMIT_LOGIN: 'off',
    },
  });
  key = vigil.bootstrap!.key;
  pingKey = vigil.bootstrap!.pingKey;
  doc = (await (await fetch(`${vigil.url}/api/v1/openapi.json`)).json()) as OpenApiDoc;
  routes = apiRoutes(doc);
  const h = await createHarness();
  compat = compatRoutes(h.deps);
  await h.close();
  await seed();
});

afterAll(async () => {
  await vigil?.stop();
  dir?.remove();
});

async function seed(): Promise<void> {
  const api = apiClient(vigil.url, key);
  const made = async (method: string, path: string, body: unknown, status = 201) => {
    const res = await api(method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
    remember(`${method} ${path}`, body);
    return res.body as Record<string, unknown> & { id: string };
  };
  const interval = { kind: 'interval', period: 3600, grace: 600 };
  const cron = { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin', grace: 600 };
  const check = await made('POST', '/checks', {
    slug: 'nightly-backup',
    name: 'Nightly backup',
    schedule: interval,
    tags: ['db'],
  });
  await made('POST', '/checks', {
    slug: 'db/cron-job',
    schedule: cron,
    max_runtime: 600,
    severity: 'critical',
  });
  const webhook = { url: 'http://127.0.0.1:9/hook', body_template: '{"text":"{{check.name}} is {{event}}"}' };
  const channel = await made('POST', '/channels', {
    kind: 'webhook',
    name: 'hook',
    config: webhook,
    events: ['down', 'up'],
  });
  await made('POST', '/channels', {
    kind: 'slack',
    name: 'slack',
    config: { webhook_url: 'https://hooks.slack.com/services/T000/B000/XXXX' },
  });
  const window = await made('POST', '/maintenance', {
    name: 'patch night',
    cron: '0 2 * * 0',
    duration: 7200,
    timezone: 'Europe/Berlin',
    tags: ['db'],
  });
  await made('POST', '/maintenance', {
    name: 'once',
    starts_at: '2030-03-01T02:00:00Z',
    ends_at: '2030-03-01T04:00:00Z',
    checks: [check.id],
  });
  const source = await made('POST', '/sources', {
    name: 'edge',
    kind: 'supabase',
    config: {
      project_ref: 'abcdefghijklmnopqrst',
      access_token: `sbp_${'0'.repeat(40)}`,
      api_url: 'http://127.0.0.1:1',
    },
  });
  await made(
    'POST',
    '/checkins',
    { slug: 'nightly-backup', status: 'ok', duration: 1200, message: 'done' },
    200,
  );
  examples['PATCH /checks/{id}'] = [{ name: 'renamed', schedule: cron, tags: ['x'], methods: 'post' }];
  examples['PUT /checks/by-slug/{slug}'] = [{ name: 'by slug', schedule: interval }];
  examples['PATCH /channels/{id}'] = [{ name: 'renamed', config: webhook, min_severity: 'important' }];
  examples['PATCH /maintenance/{id}'] = [{ name: 'renamed', duration: 3600 }];
  examples['POST /maintenance/now'] = [{ name: 'deploy', tags: ['db'] }];
  examples['PATCH /project'] = [{ silence_period: 600 }];
  examples['PATCH /sources/{id}'] = [
    { sync_interval: 120, grace: 300, config: { api_url: 'http://127.0.0.1:1' } },
  ];
  // a failure opens an incident
  expect((await fetch(`${vigil.url}/ping/${check.id}/fail`)).status).toBe(200);
  const incidents = await api<{ incidents: { id: number }[] }>('GET', '/incidents');
  real.checks = [check.id];
  real.channels = [channel.id];
  real.maintenance = [window.id];
  real.sources = [source.id];
  real.incidents = [String(incidents.body.incidents[0]!.id)];
  real.id = [check.id, channel.id, window.id, source.id, ...real.incidents];
  real.slug = ['nightly-backup', 'db/cron-job'];
  real.uuid = [check.id];
  real['ping-key'] = [pingKey];

  // the compat APIs' own objects
  const compatCall = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body: unknown,
    status: number,
  ) => {
    const res = await fetch(`${vigil.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBe(status);
    remember(`${method} ${path.replace(/\/[0-9a-f-]{36}/, '/:id')}`, body);
    return (await res.json()) as Record<string, unknown>;
  };
  const bearer = { Authorization: `Bearer ${key}` };
  await compatCall(
    'PUT',
    '/api/config',
    bearer,
    { checks: [{ name: 'pulse-job', interval: 60, grace: 30 }] },
    200,
  );
  await compatCall('POST', '/api/pulse', bearer, { check_name: 'pulse-job', status: 'ok', latency: 12 }, 200);
  const daemon = { daemonId: 'worker-1', version: '1.0', capabilities: ['a'], pollInterval: 5000 };
  await compatCall('POST', '/api/daemon/register', { 'X-Api-Key': key }, daemon, 201);
  await compatCall(
    'POST',
    '/api/daemon/heartbeat',
    { 'X-Api-Key': key },
    { daemonId: 'worker-1', status: 'healthy', tasksProcessed: 3 },
    200,
  );
  const app = await compatCall(
    'POST',
    '/api/applications',
    { 'X-Api-Key': key },
    { name: 'app', expected_interval: 60 },
    201,
  );
  examples['PUT /api/applications/:id'] = [{ name: 'renamed', expected_interval: 120, is_active: false }];
  real.id.push(app.id as string);
  real.uuid.push(app.id as string);
  real.applications = [app.id as string];
  real.projectId = [(await api<{ id: string }>('GET', '/project')).body.id];
}

// --- what every answer must be -------------------------------------------------------------

const STACK = /\n\s+at |node:internal|\/src\/.*\.ts/;

function fail(req: RawRequest, out: RawOutcome, why: string): never {
  const got = isAnswer(out)
    ? `${out.status} ${out.headers['content-type'] ?? ''} ${out.body.slice(0, 500)}`
    : `${out.status}: ${out.error}`;
  throw new Error(`${why}\n  request: ${describeRequest(req)}\n  answer:  ${got}`);
}

/** Answered, below 500, no stack trace in an error. */
function answered(req: RawRequest, out: RawOutcome): asserts out is RawResponse {
  if (!isAnswer(out)) fail(req, out, 'no answer');
  if (out.status >= 500) fail(req, out, 'a 5xx');
  if (out.status >= 400 && STACK.test(out.body)) fail(req, out, 'a stack trace or source path in an error');
}

/** vigil's one error shape, `{ "error": { "code", "message", "details"? } }`. */
function vigilError(req: RawRequest, out: RawResponse): void {
  if (!/^application\/json/.test(String(out.headers['content-type'])))
    fail(req, out, 'an error that is not JSON');
  let body: unknown;
  try {
    body = JSON.parse(out.body);
  } catch {
    fail(req, out, 'an error body that does not parse');
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
  const ok =
    body !== null &&
    typeof body === 'object' &&
    Object.keys(body).length === 1 &&
    typeof e?.code === 'string' &&
    e.code !== '' &&
    typeof e.message === 'string' &&
    e.message.trim() !== '';
  if (!ok) fail(req, out, 'an error not in the shape { error: { code, message } }');
}

/** The compat APIs' flat shape, `{ "error": "...", "details"?: "..." }`, which their clients read. */
function flatError(req: RawRequest, out: RawResponse): void {
  let body: unknown;
  try {
    body = JSON.parse(out.body);
  } catch {
    fail(req, out, 'an error body that does not parse');
  }
  const b = body as { error?: unknown; details?: unknown };
  const ok =
    typeof b?.error === 'string' &&
    b.error.trim() !== '' &&
    (b.details === undefined || typeof b.details === 'string') &&
    Object.keys(b).every((k) => k === 'error' || k === 'details');
  if (!ok) fail(req, out, 'a compat error not in the shape { error: "..." }');
}

/**
 * A compat route's error in its flat shape; a request no compat route took (another method,
 * a path that `..` turned elsewhere) is no route: vigil's shape under /api/, the dashboard's
 * plain text elsewhere.
 */
function compatError(req: RawRequest, out: RawResponse): void {
  let flat = false;
  try {
    flat = typeof (JSON.parse(out.body) as { error?: unknown }).error === 'string';
  } catch {}
  if (flat) flatError(req, out);
  else if (new URL(req.path, 'http://x').pathname.startsWith('/api/')) vigilError(req, out);
  // elsewhere no route means the dashboard's plain text (not found, form too large)
  else if (!/^text\/plain/.test(out.headers['content-type'] ?? '') || out.body.trim() === '')
    fail(req, out, 'an error that is neither a compat error nor the dashboard’s plain text');
}

/** A ping's plain-text answer (docs/pings.md): "OK", "not found", what to fix. */
function pingText(req: RawRequest, out: RawResponse): void {
  if (!/^text\/plain/.test(String(out.headers['content-type'])))
    fail(req, out, 'a ping answer that is not text');
  if (out.body.trim() === '') fail(req, out, 'an empty ping error');
}

let sent = 0;

/** Node's HTTP parser answers a malformed request itself, bare, before vigil sees it. */
function refusedByParser(out: RawResponse): boolean {
  return (out.status === 400 || out.status === 431) && out.body === '' && !out.headers['content-type'];
}

/** Node's limit on the request line and headers together (--max-http-header-size), 16 KiB. */
const MAX_HEAD = 16 * 1024;

/**
 * Raw bytes outside printable ASCII in the request line, a head past Node's limit, or a
 * Content-Length that lies.
 */
function malformed(req: RawRequest): boolean {
  const head = req.path.length + (req.headers ?? []).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  return /[^\x21-\x7e]/.test(req.path) || head > MAX_HEAD - 200 || lies(req);
}

/**
 * Sends and checks the answer is sane; now and then, that the server still answers others.
 * Returns the answer vigil gave, or null when the HTTP layer dealt with the request: a
 * malformed one refused by the parser, or a body that never came (the server waits for
 * bytes a lying Content-Length promised, until its request timeout).
 */
async function exchange(req: RawRequest): Promise<RawResponse | null> {
  const out = await send(vigil.url, req, { timeoutMs: lies(req) ? 1000 : 10_000 });
  if (++sent % 25 === 0) await stillResponsive();
  // a malformed request may be refused so fast that the connection is gone before the answer is read
  if (!isAnswer(out) && malformed(req)) {
    await stillResponsive();
    return null;
  }
  answered(req, out);
  if (refusedByParser(out)) {
    if (!malformed(req)) fail(req, out, 'a well-formed request refused by the HTTP parser');
    return null;
  }
  return out;
}

async function stillResponsive(): Promise<void> {
  if (!vigil.running()) throw new Error(`vigil exited\n${vigil.stderr()}\n${vigil.stdout().slice(-4000)}`);
  const out = await send(vigil.url, { method: 'GET', path: '/healthz' }, { timeoutMs: 10_000 });
  if (!isAnswer(out)) throw new Error(`GET /healthz: ${out.status}: ${out.error}`);
  // 503 only says a loop is behind, which a busy machine may cause; the database must be fine
  expect(JSON.parse(out.body)).toMatchObject({ database: 'ok' });
}

// --- request parts -----------------------------------------------------------------------------

const oddMethod = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'PROPFIND',
  'MKCOL',
  'LOCK',
  'TRACE',
  'PURGE',
  'SEARCH',
  'REPORT',
);

const wrongKey = fc.constantFrom(
  'vgl_wrong',
  `vgl_${'A'.repeat(32)}`,
  `vgl_${'x'.repeat(300)}`,
  'not-a-key',
  ' ',
  'Bearer',
);

/** Who the request says it is: mostly the read-write key, so validation is reached. */
function auth(scheme: 'api' | 'bearer' | 'x-api-key'): fc.Arbitrary<[string, string][]> {
  const asHeader = (k: string): [string, string][] =>
    scheme === 'x-api-key'
      ? [['X-Api-Key', k]]
      : scheme === 'bearer'
        ? [['Authorization', `Bearer ${k}`]]
        : [];
  const valid: fc.Arbitrary<[string, string][]> =
    scheme === 'api'
      ? fc.constantFrom<[string, string][]>(
          [['X-Api-Key', key]],
          [['Authorization', `Bearer ${key}`]],
          [['authorization', `bearer   ${key}  `]],
        )
      : fc.constant(asHeader(key));
  return fc.oneof(
    { weight: 30, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant<[string, string][]>([]) },
    {
      weight: 2,
      arbitrary: wrongKey.map((k): [string, string][] =>
        scheme === 'api' ? [['X-Api-Key', k]] : asHeader(k),
      ),
    },
    // the same header twice, the valid key first or second
    {
      weight: 1,
      arbitrary: fc.constantFrom<[string, string][]>(
        [
          ['X-Api-Key', key],
          ['X-Api-Key', 'vgl_wrong'],
        ],
        [
          ['Authorization', 'Basic dTpw'],
          ['Authorization', `Bearer ${key}`],
        ],
        [
          ['X-Api-Key', key],
          ['Authorization', 'Bearer vgl_other'],
        ],
      ),
    },
  );
}

interface Shape {
  headers: [string, string][];
  /** Content-Length that lies: larger (the server waits for bytes that never come) or smaller */
  lie: 'none' | 'short' | 'huge';
  /** the body sent in chunks, without a Content-Length */
  chunked: boolean;
}

const shape: fc.Arbitrary<Shape> = fc.record({
  headers: fc
    .tuple(
      // mostly the right type, so the body is read; an odd one a third of the time
      fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | undefined>('application/json') },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: contentType },
      ),
      fc.nat(9).map((n) => n === 0),
      extraHeaders,
    )
    .map(([type, twice, extra]) => {
      const h: [string, string][] = type === undefined ? [] : [['Content-Type', type]];
      if (twice && type !== undefined) h.push(['Content-Type', 'text/plain']);
      return [...h, ...extra];
    }),
  lie: fc.oneof(
    { weight: 18, arbitrary: fc.constant<Shape['lie']>('none') },
    { weight: 1, arbitrary: fc.constant<Shape['lie']>('short') },
    { weight: 1, arbitrary: fc.constant<Shape['lie']>('huge') },
  ),
  chunked: fc.boolean(),
});

/** Puts the parts together into one request. */
function build(
  method: string,
  path: string,
  authHeaders: [string, string][],
  body: Body,
  s: Shape,
): RawRequest {
  const headers = [...authHeaders, ...s.headers];
  if (body && s.lie === 'huge') headers.push(['Content-Length', String(body.byteLength + 1_000_000_000)]);
  if (body && s.lie === 'short' && body.byteLength > 1)
    headers.push(['Content-Length', String(body.byteLength >> 1)]);
  return { method, path, headers, body, chunked: s.chunked && s.lie === 'none' && body !== undefined };
}

function lies(req: RawRequest): boolean {
  const length = req.headers?.find(([k]) => k === 'Content-Length')?.[1];
  return length !== undefined && Number(length) !== (req.body?.byteLength ?? 0);
}

// --- the properties ------------------------------------------------------------------------------

/** A value for the parameter `name` of `template`: mostly a real one (`/checks/{id}`: a check's). */
function pathValue(template: string, name: string): fc.Arbitrary<string> {
  const collection = template.split('/').find((segment) => segment in real);
  const named = name === 'id' ? undefined : real[name];
  const known = named ?? (collection ? real[collection] : undefined) ?? real.id!;
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...known).map((v) => v.toUpperCase()) },
    { weight: 3, arbitrary: nastySegment },
  );
}

/** Deleting the objects every other request needs would leave only 404s to fuzz. */
const deletesSeed = (req: RawRequest) =>
  req.method === 'DELETE' && real.id!.some((id) => req.path.toLowerCase().includes(id));

describe('fuzzing every route', () => {
  it('reads the routes from where they are defined', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(compat.length).toBeGreaterThan(5);
    expect(pingTemplates().length).toBeGreaterThan(3);
  });

  it('/api/v1: never 5xx, never silent, always { error: { code, message } }', async () => {
    const apiRequest = fc
      .constantFrom(...routes)
      .chain((route) =>
        fc.record({
          route: fc.constant(route),
          method: fc.oneof(
            { weight: 4, arbitrary: fc.constant(route.method) },
            { weight: 1, arbitrary: oddMethod },
          ),
          values: fc.record(Object.fromEntries(route.pathParams.map((p) => [p, pathValue(route.path, p)]))),
          query: queryString(route.query.map((q) => q.name)),
          auth: auth('api'),
          body: bodies(route.body, doc, examples[`${route.method} ${route.path}`] ?? []),
          shape,
        }),
      )
      .map((r) =>
        build(
          r.method,
          `/api/v1${fillPath(r.route.path, r.values, true)}${r.query}`,
          r.auth,
          r.body,
          r.shape,
        ),
      )
      .filter((req) => !deletesSeed(req));
    await fc.assert(
      fc.asyncProperty(apiRequest, async (req) => {
        const out = await exchange(req);
        if (!out || out.status < 400 || req.method === 'HEAD') return;
        vigilError(req, out);
      }),
      { ...params, numRuns: RUNS.api },
    );
    await stillResponsive();
  });

  it('/ping: never 5xx, never silent, plain-text answers', async () => {
    const templates = pingTemplates();
    const value = (placeholder: string): fc.Arbitrary<string> => {
      switch (placeholder) {
        case 'uuid':
          return fc.oneof(pathValue('/ping/{uuid}', 'uuid'), fc.uuid());
        case 'ping-key':
          return fc.oneof(
            { weight: 3, arbitrary: fc.constant(pingKey) },
            { weight: 1, arbitrary: nastySegment },
          );
        case 'slug':
          return fc.oneof(
            fc.constantFrom(...real.slug!),
            fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}(\/[a-z0-9][a-z0-9_.-]{0,10})?$/),
            nastySegment,
          );
        default:
          // <0-255>, <code>
          return fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), nastySegment);
      }
    };
    /** `/ping/<a>/<b>[/x|/y]` with each placeholder filled and one of the choices (or none). */
    const fill = (template: string): fc.Arbitrary<string> => {
      const optional = /\[(.*)\]$/.exec(template);
      const base = optional ? template.slice(0, optional.index) : template;
      const choices = optional ? ['', ...optional[1]!.split('|')] : [''];
      const names = [...(base + choices.join('')).matchAll(/<([^>]+)>/g)].map((m) => m[1]!);
      return fc
        .tuple(fc.constantFrom(...choices), fc.record(Object.fromEntries(names.map((n) => [n, value(n)]))))
        .map(([choice, values]) => (base + choice).replace(/<([^>]+)>/g, (_, n: string) => values[n]!));
    };
    const pingRequest = fc
      .record({
        path: fc.constantFrom(...templates).chain(fill),
        trailing: fc.constantFrom('', '', '', '/', '//', '/x'),
        query: fc.oneof(
          queryString(['create', 'rid']),
          fc.constantFrom('?create=1', '?rid=not-a-uuid', '?create=1&create=0'),
        ),
        method: fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD') },
          { weight: 1, arbitrary: oddMethod },
        ),
        body: bodies(null, doc, []),
        shape,
      })
      .map((r) => build(r.method, `${r.path}${r.trailing}${r.query}`, [], r.body, r.shape));
    await fc.assert(
      fc.asyncProperty(pingRequest, async (req) => {
        const out = await exchange(req);
        if (!out || out.status < 400 || req.method === 'HEAD') return;
        pingText(req, out);
      }),
      { ...params, numRuns: RUNS.ping },
    );
    await stillResponsive();
  });

  it('compat APIs: never 5xx, never silent, errors in their flat shape', async () => {
    const schemes: Record<string, 'bearer' | 'x-api-key'> = {
      '/api/daemon': 'x-api-key',
      '/api/applications': 'x-api-key',
    };
    const compatRequest = fc
      .constantFrom(...compat)
      .chain((route: AppRoute) => {
        const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
        const scheme =
          Object.entries(schemes).find(([prefix]) => route.path.startsWith(prefix))?.[1] ?? 'bearer';
        return fc.record({
          route: fc.constant(route),
          method: fc.oneof(
            { weight: 4, arbitrary: fc.constant(route.method) },
            { weight: 1, arbitrary: oddMethod },
          ),
          values: fc.record(Object.fromEntries(names.map((n) => [n, pathValue(route.path, n)]))),
          query: queryString(['duration', 'limit']),
          auth: auth(scheme),
          body: bodies(null, doc, examples[`${route.method} ${route.path}`] ?? []),
          shape,
        });
      })
      .map((r) =>
        build(r.method, `${fillPath(r.route.path, r.values, true)}${r.query}`, r.auth, r.body, r.shape),
      )
      .filter((req) => !deletesSeed(req));
    await fc.assert(
      fc.asyncProperty(compatRequest, async (req) => {
        const out = await exchange(req);
        if (!out || out.status < 400 || req.method === 'HEAD') return;
        compatError(req, out);
      }),
      { ...params, numRuns: RUNS.compat },
    );
    await stillResponsive();
  });
});

describe('fixed examples: the bodies too big or too odd to leave to chance', () => {
  const TEN_MB = new Uint8Array(10 * 1024 * 1024).fill(0x61);
  const ELEVEN_MB = new Uint8Array(11 * 1024 * 1024).fill(0x7b);

  const pingsOf = async (id: string) =>
    (
      await apiClient(vigil.url, key)<{ pings: { kind: string; body: string | null; truncated: boolean }[] }>(
        'GET',
        `/checks/${id}/pings`,
      )
    ).body.pings;

  const cases: [string, () => RawRequest, (out: RawResponse, req: RawRequest) => void | Promise<void>][] = [
    [
      '10 MB JSON to /api/v1/checks: 413 in the error shape',
      () => ({
        method: 'POST',
        path: '/api/v1/checks',
        headers: [
          ['X-Api-Key', key],
          ['Content-Type', 'application/json'],
        ],
        body: TEN_MB,
      }),
      (out, req) => {
        expect(out.status).toBe(413);
        vigilError(req, out);
      },
    ],
    [
      '10 MB chunked (no Content-Length) to /api/v1/channels: 413 while streaming',
      () => ({
        method: 'POST',
        path: '/api/v1/channels',
        headers: [
          ['X-Api-Key', key],
          ['Content-Type', 'application/json'],
        ],
        body: TEN_MB,
        chunked: true,
      }),
      (out, req) => {
        expect(out.status).toBe(413);
        vigilError(req, out);
      },
    ],
    [
      '10 MB ping body: kept up to the limit, the rest dropped',
      () => ({ method: 'POST', path: `/ping/${real.uuid![0]}/log`, body: TEN_MB }),
      async (out) => {
        expect(out.status).toBe(200);
        const [last] = await pingsOf(real.uuid![0]!);
        expect(last).toMatchObject({ kind: 'log', truncated: true });
        expect(last!.body).toBe('a'.repeat(100 * 1024));
      },
    ],
    [
      '10 MB to a compat route: 413 in the flat shape',
      () => ({
        method: 'PUT',
        path: '/api/config',
        headers: [['Authorization', `Bearer ${key}`]],
        body: TEN_MB,
      }),
      (out, req) => {
        expect(out.status).toBe(413);
        flatError(req, out);
      },
    ],
    [
      '10 MB to an unknown /api path: 404 in the error shape, not the dashboard’s form limit',
      () => ({ method: 'POST', path: '/api/nothing-here', body: TEN_MB }),
      (out, req) => {
        expect(out.status).toBe(404);
        vigilError(req, out);
      },
    ],
    [
      '10k levels of nested arrays as a check: 400',
      () => ({
        method: 'POST',
        path: '/api/v1/checks',
        headers: [
          ['X-Api-Key', key],
          ['Content-Type', 'application/json'],
        ],
        body: new TextEncoder().encode(DEEP_ARRAY),
      }),
      (out, req) => {
        expect(out.status).toBe(400);
        vigilError(req, out);
      },
    ],
    [
      '10k levels of nested objects as a channel config: 400',
      () => ({
        method: 'POST',
        path: '/api/v1/channels',
        headers: [
          ['X-Api-Key', key],
          ['Content-Type', 'application/json'],
        ],
        body: new TextEncoder().encode(`{"kind":"webhook","name":"deep","config":${DEEP_OBJECT}}`),
      }),
      (out, req) => {
        expect(out.status).toBe(400);
        vigilError(req, out);
      },
    ],
    [
      'a path longer than the header limit: refused by the HTTP parser',
      () => ({ method: 'GET', path: `/api/v1/checks/${'a'.repeat(20_000)}`, headers: [['X-Api-Key', key]] }),
      (out) => expect(out.status).toBe(431),
    ],
  ];

  for (const [name, make, check] of cases) {
    it(name, async () => {
      const req = make();
      const out = await send(vigil.url, req, { timeoutMs: 20_000 });
      answered(req, out);
      await check(out, req);
      await stillResponsive();
    });
  }

  it('an empty body said to be text: 415 saying what to send', async () => {
    const req: RawRequest = {
      method: 'POST',
      path: '/api/v1/checks',
      headers: [
        ['X-Api-Key', key],
        ['Content-Type', 'text/plain'],
      ],
      body: new Uint8Array(0),
    };
    const out = await send(vigil.url, req);
    answered(req, out);
    expect(out.status).toBe(415);
    vigilError(req, out);
    expect(JSON.parse(out.body).error.message).toMatch(/Content-Type: application\/json/);
  });

  it('a ping whose client goes away in the middle of its body is no server error', async () => {
    const logged = vigil.logs().length;
    const req: RawRequest = {
      method: 'POST',
      path: `/ping/${real.uuid![0]}/log`,
      headers: [['Content-Length', '1000']],
      body: new TextEncoder().encode('ten bytes!'),
    };
    // the server waits for the rest; the client gives up and closes
    expect((await send(vigil.url, req, { timeoutMs: 300 })).status).toBe('no-answer');
    await stillResponsive();
    expect(
      vigil
        .logs()
        .slice(logged)
        .filter((l) => l.level >= 50),
    ).toEqual([]);
  });

  it('11 MB chunked ping body: refused, not recorded', async () => {
    const before = await pingsOf(real.uuid![0]!);
    const req: RawRequest = {
      method: 'POST',
      path: `/ping/${pingKey}/nightly-backup/log`,
      body: ELEVEN_MB,
      chunked: true,
    };
    const out = await send(vigil.url, req, { timeoutMs: 20_000 });
    // Past 10 MB the server stops reading, answers 413 and closes: a client still sending may
    // find the connection reset before it reads the 413.
    if (isAnswer(out)) {
      expect(out.status).toBe(413);
      pingText(req, out);
    } else {
      expect(out.status).toBe('closed');
    }
    expect(await pingsOf(real.uuid![0]!)).toEqual(before);
    await stillResponsive();
  });

  it('the server is still the one started, and it logged no unhandled error', async () => {
    await stillResponsive();
    expect(vigil.running()).toBe(true);
    const errors = vigil.logs().filter((l) => l.level >= 50);
    expect(errors.map((l) => `${l.msg}: ${JSON.stringify(l.err ?? '').slice(0, 300)}`)).toEqual([]);
  });
});
