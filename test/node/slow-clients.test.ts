// Slow and oversized clients against a real server on loopback, with short timeouts
// (VIGIL_HEADERS_TIMEOUT=1, VIGIL_REQUEST_TIMEOUT=2): a slowloris is cut off, a trickled body is
// cut off, others are answered meanwhile, and a body too large is refused while it streams.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Server, startServer } from '../../src/server.ts';

let server: Server;
let dir: string;
let key: string;
let port: number;
let checkId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-slow-'));
  server = await startServer(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
      VIGIL_PORT: '0',
      VIGIL_HEADERS_TIMEOUT: '1',
      VIGIL_REQUEST_TIMEOUT: '2',
    }),
    { logger: pino({ level: 'silent' }), onBootstrap: (b) => (key = b.key) },
  );
  port = Number(new URL(server.url).port);
  const res = await fetch(`${server.url}/api/v1/checks`, {
    method: 'POST',
    headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ slug: 'steady', schedule: { kind: 'interval', period: 60, grace: 60 } }),
  });
  checkId = ((await res.json()) as { id: string }).id;
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Trickle {
  /** what the server sent back */
  received(): string;
  /** bytes written before the server closed the socket */
  sent(): number;
  /** resolves when the server has closed the socket; whether the client was still sending then */
  closed: Promise<{ stillSending: boolean }>;
}

/** Sends `head` at once, then `rest` one byte every `everyMs`, until the server hangs up. */
function trickle(head: string, rest: string, everyMs: number): Trickle {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  let sent = 0;
  let done = false;
  socket.setEncoding('utf8').on('data', (d: string) => {
    received += d;
  });
  socket.on('error', () => {}); // a write after the server's reset: the close below tells
  socket.write(head);
  const timer = setInterval(() => {
    if (sent >= rest.length) {
      done = true;
      clearInterval(timer);
      return;
    }
    socket.write(rest[sent]!);
    sent++;
  }, everyMs);
  const closed = new Promise<{ stillSending: boolean }>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ stillSending: !done });
    }),
  );
  return { received: () => received, sent: () => sent, closed };
}

async function answered(): Promise<void> {
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${server.url}/ping/${checkId}`)).status).toBe(200);
}

describe('slow clients', () => {
  it('cuts off a slowloris that sends its headers a byte at a time, and answers others meanwhile', async () => {
    // 20 sockets whose headers would take 50 s each to arrive
    const slow = Array.from({ length: 20 }, () =>
      trickle('GET /healthz HTTP/1.1\r\nHost: vigil\r\n', `X-Slow: ${'a'.repeat(240)}\r\n\r\n`, 200),
    );
    for (let i = 0; i < 3; i++) await answered();
    const ends = await Promise.all(slow.map((s) => s.closed));
    expect(ends.every((e) => e.stillSending)).toBe(true);
    for (const s of slow) {
      expect(s.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(s.sent()).toBeLessThan(250);
    }
    await answered();
  });

  it('cuts off a client that trickles its body, on the API and on a ping', async () => {
    const json = JSON.stringify({ slug: 'never-made', schedule: { kind: 'interval', period: 60, grace: 1 } });
    const api = trickle(
      `POST /api/v1/checks HTTP/1.1\r\nHost: vigil\r\nX-Api-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n`,
      json,
      200,
    );
    const body = 'x'.repeat(500);
    const ping = trickle(
      `POST /ping/${checkId}/fail HTTP/1.1\r\nHost: vigil\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      200,
    );
    await answered();
    for (const slow of [api, ping]) {
      expect((await slow.closed).stillSending).toBe(true);
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    }
    // neither half-sent request did anything
    const check = await fetch(`${server.url}/api/v1/checks/${checkId}`, { headers: { 'X-Api-Key': key } });
    expect(((await check.json()) as { status: string }).status).toBe('up');
    const list = await fetch(`${server.url}/api/v1/checks`, { headers: { 'X-Api-Key': key } });
    const slugs = ((await list.json()) as { checks: { slug: string }[] }).checks.map((c) => c.slug);
    expect(slugs).not.toContain('never-made');
    await answered();
  });
});

/**
 * Streams `path` a chunked body of up to 10 MB, 64 KB every 5 ms, and returns the answer's head
 * and body, how much was sent before the server closed the socket, and whether sending had ended.
 */
function chunkedUpload(path: string, headers: Record<string, string>) {
  const total = 10 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let sent = 0;
  socket.setEncoding('utf8').on('data', (d: string) => {
    received += d;
  });
  socket.on('error', () => {}); // a write after the server hung up
  const head = Object.entries({ Host: 'vigil', 'Transfer-Encoding': 'chunked', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  socket.write('9\r\n{"name":"\r\n');
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= total) {
      clearInterval(timer);
      if (!socket.destroyed) socket.end('0\r\n\r\n');
      return;
    }
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    socket.write('\r\n');
    sent += chunk.length;
  }, 5);
  return new Promise<{ head: string; body: string; sent: number; finished: boolean }>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      const [head = '', body = ''] = received.split('\r\n\r\n', 2);
      resolve({ head, body, sent, finished: sent >= total });
    }),
  );
}

describe('bodies too large', () => {
  it('refuses a 10 MB chunked JSON body on /api/v1 with 413 while it streams, and hangs up', async () => {
    const res = await chunkedUpload('/api/v1/checks', {
      'X-Api-Key': key,
      'Content-Type': 'application/json',
    });
    expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(res.finished).toBe(false);
    expect(res.sent).toBeLessThan(10 * 1024 * 1024);
    expect(JSON.parse(res.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n$/g, ''))).toEqual({
      error: { code: 'payload_too_large', message: 'the request body is larger than 64 KB' },
    });
    await answered();
  });

  it('refuses one on a compat route the same way, in its flat error shape', async () => {
    const res = await chunkedUpload('/api/daemon/register', { 'X-API-Key': key });
    expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(res.finished).toBe(false);
    expect(res.body).toContain('"error":"Payload Too Large"');
    await answered();
  });
});
