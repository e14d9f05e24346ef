// GET /metrics on a real server (startServer on loopback, a SQLite file, a webhook receiver):
// after pings, flips and deliveries the numbers are what was done; the text is valid
// exposition; and only the metrics key, or the metrics port, reads it.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Server, startServer } from '../../src/server.ts';
import { payloadOf, type Receiver, startReceiver } from '../e2e/receiver.ts';
import { apiClient, tempDir, waitFor } from '../e2e/server-process.ts';
import { parseExposition } from './parse-exposition.ts';

const KEY = 'metrics-key-0123456789abcdef';

interface Started {
  server: Server;
  key: string;
  pingKey: string;
  remove(): void;
}

async function start(env: Record<string, string>): Promise<Started> {
  const tmp = tempDir('vigil-metrics-');
  let key = '';
  let pingKey = '';
  const server = await startServer(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'vigil.db')}`,
      VIGIL_PORT: '0',
      VIGIL_ALLOW_PRIVATE_URLS: '1',
      ...env,
    }),
    {
      logger: pino({ level: 'silent' }),
      onBootstrap: (b) => {
        key = b.key;
        pingKey = b.pingKey;
      },
    },
  );
  return { server, key, pingKey, remove: tmp.remove };
}

const scrape = (url: string, key: string | null = KEY) =>
  fetch(url, key === null ? {} : { headers: { Authorization: `Bearer ${key}` } });

describe('/metrics behind the metrics key', () => {
  let vigil: Started;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    vigil = await start({ VIGIL_METRICS_KEY: KEY });
  });
  afterAll(async () => {
    await vigil?.server.close();
    vigil?.remove();
    await receiver?.close();
  });

  it('counts the pings, flips and deliveries that happened, and reads checks and the outbox from the store', async () => {
    const { server, pingKey } = vigil;
    let recorded = 0;
    server.dispatcher.on('delivery', () => recorded++);
    const api = apiClient(server.url, vigil.key);
    expect(
      (await api('POST', '/channels', { kind: 'webhook', name: 'hook', config: { url: receiver.url } }))
        .status,
    ).toBe(201);
    const job = `${server.url}/ping/${pingKey}/nightly`;
    const statuses: number[] = [];
    const ping = async (url: string, init?: RequestInit) => statuses.push((await fetch(url, init)).status);
    await ping(`${job}?create=1`); // created: new -> up
    for (let i = 0; i < 4; i++) await ping(job);
    await ping(`${job}/start`);
    await ping(`${job}/fail`); // up -> down: an alert
    await ping(`${job}/0`); // down -> up: a recovery
    await ping(`${job}/log`, { method: 'POST', body: 'a line' });
    await ping(`${server.url}/ping/${pingKey}/no-such-job`); // not found
    await ping(`${job}/999`); // 400: no such exit status
    await ping(`${job}?rid=not-a-uuid`); // 400
    await ping(job, { method: 'DELETE' }); // 405
    expect(statuses).toEqual([201, 200, 200, 200, 200, 200, 200, 200, 200, 404, 400, 400, 405]);
    await receiver.next((r) => payloadOf(r).event === 'failed', 10_000, 'failure alert');
    await receiver.next((r) => payloadOf(r).event === 'up', 10_000, 'recovery');
    // both attempts recorded (a moment after the receiver answered) before the one scrape:
    // the checks and the outbox are read from the store at most every 10 s
    await waitFor('both deliveries to be recorded', () => recorded === 2);
    const res = await scrape(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const m = parseExposition(await res.text());
    const pings = (kind: string, result: string) => m.value('vigil_pings_total', { kind, result });
    expect(pings('success', 'ok')).toBe(5);
    expect(pings('start', 'ok')).toBe(1);
    expect(pings('fail', 'ok')).toBe(1);
    expect(pings('exit', 'ok')).toBe(1);
    expect(pings('log', 'ok')).toBe(1);
    expect(pings('success', 'not_found')).toBe(1);
    expect(pings('unknown', 'rejected')).toBe(3);
    expect(m.value('vigil_flips_total', { to: 'up' })).toBe(2);
    expect(m.value('vigil_flips_total', { to: 'down' })).toBe(1);
    expect(
      m.value('vigil_notification_attempts_total', { channel_kind: 'webhook', outcome: 'delivered' }),
    ).toBe(2);
    expect(m.value('vigil_checks', { status: 'up' })).toBe(1);
    expect(m.value('vigil_checks', { status: 'down' })).toBe(0);
    expect(m.value('vigil_outbox_pending')).toBe(0);
    // every ping above went through the ping fast path: 9 answered 2xx, 4 answered 4xx
    expect(m.value('vigil_http_request_duration_seconds_count', { group: 'ping', status: '2xx' })).toBe(9);
    expect(m.value('vigil_http_request_duration_seconds_count', { group: 'ping', status: '4xx' })).toBe(4);
    expect(m.value('vigil_http_request_duration_seconds_count', { group: 'api', status: '2xx' })).toBe(1);
    expect(m.value('vigil_sweeps_total')).toBeGreaterThan(0);
    expect(m.value('vigil_last_sweep_timestamp_seconds') * 1000).toBeGreaterThan(Date.now() - 60_000);
    expect(m.value('vigil_database_refusing_writes')).toBe(0);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(m.value('vigil_uptime_seconds')).toBeGreaterThan(0);
    expect(m.value('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('answers valid exposition: a HELP and TYPE for every family, and sane histograms', async () => {
    const res = await scrape(`${vigil.server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    // parseExposition throws on a sample without TYPE, falling buckets, or +Inf != _count
    const m = parseExposition(await res.text());
    for (const name of m.types.keys()) expect(m.helps.get(name), name).toBeTruthy();
    expect(m.types.get('vigil_http_request_duration_seconds')).toBe('histogram');
    expect(m.types.get('vigil_pings_total')).toBe('counter');
    expect(m.types.get('vigil_checks')).toBe('gauge');
  });

  it('refuses a scrape without the key, or with a wrong one, in the API error shape', async () => {
    const url = `${vigil.server.url}/metrics`;
    for (const key of [null, 'wrong-key-0123456789abcdef', `${KEY}x`]) {
      const res = await scrape(url, key);
      expect(res.status, String(key)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toContain('VIGIL_METRICS_KEY');
    }
    const apiKey = await fetch(url, { headers: { 'X-Api-Key': vigil.key } });
    expect(apiKey.status).toBe(401);
    expect((await scrape(url)).status).toBe(200);
  });
});

describe('/metrics on a port of its own', () => {
  it('serves the metrics there without a key, and answers 404 on the main port', async () => {
    const vigil = await start({ VIGIL_METRICS_PORT: '0' });
    try {
      const { server } = vigil;
      expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const there = await fetch(server.metricsUrl!);
      expect(there.status).toBe(200);
      expect(parseExposition(await there.text()).types.get('vigil_pings_total')).toBe('counter');
      const main = await fetch(`${server.url}/metrics`);
      expect(main.status).toBe(404);
      const body = (await main.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toContain('VIGIL_METRICS_PORT');
      // only /metrics is served there
      const other = await fetch(server.metricsUrl!.replace('/metrics', '/api/v1/checks'));
      expect(other.status).toBe(404);
    } finally {
      await vigil.server.close();
      vigil.remove();
    }
  });

  it('asks for the key there too when one is set', async () => {
    const vigil = await start({ VIGIL_METRICS_PORT: '0', VIGIL_METRICS_KEY: KEY });
    try {
      const url = vigil.server.metricsUrl!;
      expect((await scrape(url, null)).status).toBe(401);
      expect((await scrape(url, 'wrong-key-0123456789abcdef')).status).toBe(401);
      expect((await scrape(url)).status).toBe(200);
      expect((await scrape(`${vigil.server.url}/metrics`)).status).toBe(404);
    } finally {
      await vigil.server.close();
      vigil.remove();
    }
  });
});

describe('/metrics with neither a key nor a port', () => {
  it('answers 404 saying how to turn it on', async () => {
    const vigil = await start({});
    try {
      expect(vigil.server.metricsUrl).toBeNull();
      const res = await scrape(`${vigil.server.url}/metrics`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toMatch(/VIGIL_METRICS_KEY.*VIGIL_METRICS_PORT/);
    } finally {
      await vigil.server.close();
      vigil.remove();
    }
  });
});
