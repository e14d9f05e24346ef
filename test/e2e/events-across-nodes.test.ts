// Two vigil nodes in this process on one PostgreSQL database: a dashboard connected to either
// node sees what happened on both, each event once, and each node's /healthz names it.
// Skipped (loudly) without PostgreSQL; failed when VIGIL_REQUIRE_POSTGRES is set.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Server, startServer } from '../../src/server.ts';
import { SseReader } from '../http/sse-reader.ts';
import { freshPostgresDatabase, postgresAvailable } from '../store/fixtures.ts';

describe.skipIf(!postgresAvailable)('live events across nodes', () => {
  let db: { url: string; drop(): Promise<void> } | undefined;
  const SECRET_KEY = randomBytes(32).toString('base64');
  const nodes: Server[] = [];
  let key = '';
  let checkId = '';
  const streams: AbortController[] = [];

  async function node(id: string): Promise<Server> {
    const config = loadConfig({
      VIGIL_DATABASE_URL: db!.url,
      VIGIL_HOST: '127.0.0.1',
      VIGIL_PORT: '0',
      VIGIL_NODE_ID: id,
      VIGIL_DB_POOL_SIZE: '4',
      // one key for all nodes, as on PostgreSQL it must be (and no key file in the working directory)
      VIGIL_SECRET_KEY: SECRET_KEY,
    });
    const server = await startServer(config, {
      logger: pino({ level: 'silent' }),
      onBootstrap: (b) => {
        key = b.key;
      },
    });
    nodes.push(server);
    return server;
  }

  async function stream(server: Server): Promise<SseReader> {
    const abort = new AbortController();
    streams.push(abort);
    const res = await fetch(`${server.url}/api/v1/events`, {
      headers: { 'X-Api-Key': key },
      signal: abort.signal,
    });
    const reader = new SseReader(res);
    await reader.frame(); // retry:, sent first: the stream is listening from here on
    return reader;
  }

  const ping = (server: Server, body: string) =>
    fetch(`${server.url}/ping/${checkId}`, { method: 'POST', body }).then((r) => r.status);

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    await node('node-a');
    await node('node-b');
    const res = await fetch(`${nodes[0]!.url}/api/v1/checks`, {
      method: 'POST',
      headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'shared', schedule: { kind: 'interval', period: 3600, grace: 60 } }),
    });
    expect(res.status).toBe(201);
    checkId = ((await res.json()) as { id: string }).id;
  });

  afterAll(async () => {
    for (const s of streams) s.abort();
    for (const n of nodes) await n.close();
    await db?.drop();
  });

  it("shows each node's pings to dashboards on both nodes, once each", async () => {
    const [a, b] = nodes as [Server, Server];
    const readers = [await stream(a), await stream(b)];
    const next = async (reader: SseReader) => {
      const e = await reader.event();
      return [e.event, e.data.check_id === checkId, e.data.n ?? null];
    };
    // one step at a time, so the order on each stream is fixed; a duplicate of an earlier
    // event would show up ahead of the next step's
    expect(await ping(a, 'one')).toBe(200);
    for (const r of readers) {
      // the first ping also flips the new check up
      expect([await next(r), await next(r)]).toEqual([
        ['ping', true, 1],
        ['flip', true, null],
      ]);
    }
    expect(await ping(b, 'two')).toBe(200);
    for (const r of readers) expect(await next(r)).toEqual(['ping', true, 2]);
    expect(await ping(a, 'three')).toBe(200);
    for (const r of readers) expect(await next(r)).toEqual(['ping', true, 3]);
  });

  it("names the node, its database and its last sweep in each node's /healthz", async () => {
    for (const [i, server] of nodes.entries()) {
      const res = await fetch(`${server.url}/healthz`);
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(200);
      expect(body).toMatchObject({
        ok: true,
        database: 'ok',
        engine: 'postgres',
        node: ['node-a', 'node-b'][i],
        cluster: 'ok',
        scheduler: { ok: true, last_sweep_at: expect.any(String) },
      });
    }
  });
});
