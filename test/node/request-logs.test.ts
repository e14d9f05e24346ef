// Request ids and log lines on a real server (startServer on loopback, its own logger writing
// to a stream we read): every answer carries X-Request-Id, the log lines of a request carry it
// as req_id, access lines come only when asked for, 5xx always, and no secret is ever logged.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/node/logger.ts';
import { type Server, startServer } from '../../src/server.ts';
import { tempDir } from '../e2e/server-process.ts';

interface Line {
  level: number;
  msg: string;
  req_id?: string;
  path?: string;
  status?: number;
  [key: string]: unknown;
}

const METRICS_KEY = 'metrics-key-0123456789abcdef';
const PASSWORD = 'correct horse battery staple';

async function start(env: Record<string, string>) {
  const tmp = tempDir('vigil-logs-');
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  let key = '';
  let pingKey = '';
  const server: Server = await startServer(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'vigil.db')}`,
      VIGIL_PORT: '0',
      VIGIL_ADMIN_EMAIL: 'admin@example.com',
      VIGIL_ADMIN_PASSWORD: PASSWORD,
      ...env,
    }),
    {
      logger: createLogger('info', sink),
      onBootstrap: (b) => {
        key = b.key;
        pingKey = b.pingKey;
      },
    },
  );
  const lines = (): Line[] =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  return { server, key, pingKey, lines, text: () => text, remove: tmp.remove };
}

type Vigil = Awaited<ReturnType<typeof start>>;

describe('request ids and access lines (VIGIL_ACCESS_LOG=true)', () => {
  let vigil: Vigil;

  beforeAll(async () => {
    vigil = await start({ VIGIL_ACCESS_LOG: 'true', VIGIL_METRICS_KEY: METRICS_KEY });
  });
  afterAll(async () => {
    await vigil?.server.close();
    vigil?.remove();
  });

  it('keeps a sane X-Request-Id, echoes it, and logs the request with it', async () => {
    const res = await fetch(`${vigil.server.url}/api/v1/checks`, {
      headers: { 'X-Api-Key': vigil.key, 'X-Request-Id': 'trace.1234_abc-XYZ' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace.1234_abc-XYZ');
    const line = vigil.lines().find((l) => l.req_id === 'trace.1234_abc-XYZ');
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: '/api/v1/checks',
      status: 200,
      level: 30,
    });
    expect(line?.ms).toBeGreaterThanOrEqual(0);
  });

  it('makes a new id for a request without one, or with one that is not sane', async () => {
    const ids: string[] = [];
    for (const sent of [undefined, 'has spaces in it', 'x'.repeat(65), 'quote"d', 'semi;colon', '']) {
      const res = await fetch(`${vigil.server.url}/healthz`, {
        headers: sent === undefined ? {} : { 'X-Request-Id': sent },
      });
      const id = res.headers.get('x-request-id')!;
      expect(id, String(sent)).toMatch(/^[a-z0-9]{6}-[a-z0-9]+$/);
      ids.push(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(vigil.lines().some((l) => l.req_id === id && l.path === '/healthz')).toBe(true);
  });

  it('answers a 404 of no route and a 401 with the id too', async () => {
    for (const path of ['/api/v1/nothing-here', '/api/v1/checks']) {
      const res = await fetch(`${vigil.server.url}${path}`, {
        headers: { 'X-Request-Id': `id-${path.length}` },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('x-request-id')).toBe(`id-${path.length}`);
    }
  });

  it('logs pings with the key in their path masked and without the query, echoing a sent id', async () => {
    const url = `${vigil.server.url}/ping/${vigil.pingKey}/nightly-job?create=1&rid=8b0ff1d2-4a53-4c5a-9d7c-0c3a4d8e1f20`;
    const res = await fetch(url, { headers: { 'X-Request-Id': 'ping-trace-1' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('ping-trace-1');
    expect(vigil.lines().find((l) => l.req_id === 'ping-trace-1')).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: '/ping/***/nightly-job',
      status: 201,
    });
    // without one sent, a ping's answer carries none (the fast path makes ids only to log them)
    const plain = await fetch(`${vigil.server.url}/ping/${vigil.pingKey}/nightly-job`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-request-id')).toBeNull();
  });

  it('never logs keys, passwords, cookies or ping URLs', async () => {
    const { url } = vigil.server;
    await fetch(`${url}/api/v1/checks`, { headers: { Authorization: `Bearer ${vigil.key}` } });
    await fetch(`${url}/api/v1/checks`, { headers: { 'X-Api-Key': `${vigil.key}-wrong` } });
    await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_KEY}` } });
    await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_KEY}-wrong` } });
    const checks = (await (
      await fetch(`${url}/api/v1/checks`, { headers: { 'X-Api-Key': vigil.key } })
    ).json()) as { checks: { id: string }[] };
    const checkId = checks.checks[0]!.id;
    await fetch(`${url}/ping/${checkId}/fail`, { method: 'POST', body: 'the job failed' });
    // a sign-in: its password is in the body, its session in a cookie
    const page = await fetch(`${url}/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const signIn = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: new URLSearchParams({ email: 'admin@example.com', password: PASSWORD, _csrf: csrf }),
    });
    expect(signIn.status).toBe(303);
    const session = signIn.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=')[1]!);
    expect(session.length).toBeGreaterThan(0);
    await fetch(`${url}/checks`, { headers: { Cookie: signIn.headers.getSetCookie().join('; ') } });

    const text = vigil.text();
    expect(text).toContain('"path":"/login"');
    for (const secret of [vigil.key, METRICS_KEY, PASSWORD, vigil.pingKey, checkId, ...session]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text.includes(secret), `the log holds ${secret}`).toBe(false);
    }
  });
});

describe('logs without VIGIL_ACCESS_LOG', () => {
  let vigil: Vigil;

  beforeAll(async () => {
    vigil = await start({});
  });
  afterAll(async () => {
    await vigil?.server.close();
    vigil?.remove();
  });

  it('writes no line for a request that went well', async () => {
    const res = await fetch(`${vigil.server.url}/api/v1/checks`, {
      headers: { 'X-Api-Key': vigil.key, 'X-Request-Id': 'quiet-1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('quiet-1');
    expect(await fetch(`${vigil.server.url}/ping/${vigil.pingKey}/job?create=1`).then((r) => r.status)).toBe(
      201,
    );
    expect(vigil.lines().filter((l) => l.msg === 'request')).toEqual([]);
  });

  it('logs a 5xx, its error and the request id on both, and sends the id back', async () => {
    // a real fault: the database goes away under the running server
    await vigil.server.store.close();
    const api = await fetch(`${vigil.server.url}/api/v1/checks`, {
      headers: { 'X-Api-Key': vigil.key, 'X-Request-Id': 'broken-api-1' },
    });
    expect(api.status).toBeGreaterThanOrEqual(500);
    expect(api.headers.get('x-request-id')).toBe('broken-api-1');
    const ping = await fetch(`${vigil.server.url}/ping/${vigil.pingKey}/job`);
    expect(ping.status).toBeGreaterThanOrEqual(500);
    const pingId = ping.headers.get('x-request-id');
    expect(pingId).toMatch(/^[a-z0-9]{6}-[a-z0-9]+$/);

    const apiLines = vigil.lines().filter((l) => l.req_id === 'broken-api-1');
    expect(apiLines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^unhandled error on GET \/api\/v1\/checks/),
      'request failed',
    ]);
    expect(apiLines[0]!.err).toBeTruthy();
    expect(apiLines[1]).toMatchObject({ level: 50, status: api.status, path: '/api/v1/checks' });
    const pingLines = vigil.lines().filter((l) => l.req_id === pingId);
    expect(pingLines.map((l) => l.msg)).toEqual(['ping failed', 'request failed']);
    expect(pingLines[1]).toMatchObject({ path: '/ping/***/job', status: ping.status });
    expect(vigil.text().includes(vigil.pingKey)).toBe(false);
  });
});
