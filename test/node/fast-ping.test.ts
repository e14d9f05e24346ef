// The Node fast path for /ping/* (src/node/fast-ping.ts), through a real server on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Server, startServer } from '../../src/server.ts';

let server: Server;
let dir: string;
let key: string;
let pingKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-fast-'));
  const config = loadConfig({
    VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
    VIGIL_PORT: '0',
    VIGIL_PING_BODY_LIMIT: '16',
  });
  server = await startServer(config, {
    logger: pino({ level: 'silent' }),
    onBootstrap: (b) => {
      key = b.key;
      pingKey = b.pingKey;
    },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newCheck(slug: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/checks`, {
    method: 'POST',
    headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ slug, schedule: { kind: 'interval', period: 60, grace: 60 } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function pings(id: string) {
  const res = await fetch(`${server.url}/api/v1/checks/${id}/pings`, { headers: { 'X-Api-Key': key } });
  return (
    (await res.json()) as {
      pings: {
        kind: string;
        body: string | null;
        truncated: boolean;
        rid: string | null;
        duration_ms: number | null;
        method: string;
      }[];
    }
  ).pings;
}

describe('pings answered straight from node:http', () => {
  it('stores the first bytes of a long body and marks it truncated', async () => {
    const id = await newCheck('long-body');
    const res = await fetch(`${server.url}/ping/${id}`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect(res.headers.get('ping-body-limit')).toBe('16');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const [ping] = await pings(id);
    expect(ping).toMatchObject({ body: 'x'.repeat(16), truncated: true, method: 'POST' });
  });

  it('refuses a body past the limit plus 10 MB with 413 and stores nothing', async () => {
    const id = await newCheck('huge-body');
    const res = await fetch(`${server.url}/ping/${id}/fail`, {
      method: 'POST',
      body: new Uint8Array(10 * 1024 * 1024 + 1024),
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/ping body too large/);
    expect(await pings(id)).toEqual([]);
  });

  it('answers HEAD with headers and no body', async () => {
    const id = await newCheck('head');
    const res = await fetch(`${server.url}/ping/${id}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect((await pings(id))[0]?.method).toBe('HEAD');
  });

  it('answers a CORS preflight with 204', async () => {
    const res = await fetch(`${server.url}/ping/anything`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('pairs a start and an end by run id and records the exit status', async () => {
    const id = await newCheck('runs');
    const rid = '0b4c9f0e-8d52-4d8e-9a53-3b0f6e4f2a11';
    expect((await fetch(`${server.url}/ping/${id}/start?rid=${rid}`)).status).toBe(200);
    expect(
      (await fetch(`${server.url}/ping/${id}/3?rid=${rid}`, { method: 'POST', body: 'boom' })).status,
    ).toBe(200);
    const [end] = await pings(id);
    expect(end).toMatchObject({ kind: 'exit', rid, body: 'boom' });
    expect(end!.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('creates a check by slug with ?create=1 and answers 404 for unknown ones', async () => {
    expect((await fetch(`${server.url}/ping/${pingKey}/made-by-ping`)).status).toBe(404);
    const res = await fetch(`${server.url}/ping/${pingKey}/made-by-ping?create=1`);
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('Created');
  });

  it('refuses an exit status over 255, a bad run id and other methods', async () => {
    const id = await newCheck('bad-input');
    expect((await fetch(`${server.url}/ping/${id}/256`)).status).toBe(400);
    expect((await fetch(`${server.url}/ping/${id}?rid=nope`)).status).toBe(400);
    const put = await fetch(`${server.url}/ping/${id}`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, HEAD');
  });
});
