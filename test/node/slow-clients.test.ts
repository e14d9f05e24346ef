// Slow and oversized clients against a real server on loopback, with short timeouts
// (VIGIL_HEADERS_TIMEOUT=1, VIGIL_REQUEST_TIMEOUT=2): a slowloris is cut off, a trickled body is
// cut off, others are answered meanwhile, and a body too large is refused while it streams.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
 * Streams `path` a chunked body of `total` bytes, 64 KB every 5 ms, and returns the answer's head
 * and body, how much had been sent when the answer came and when the server closed the socket,
 * and whether sending had ended.
 */
function chunkedUpload(path: string, headers: Record<string, string>, total = 10 * 1024 * 1024) {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let sent = 0;
  let sentAtAnswer = -1;
  socket.setEncoding('utf8').on('data', (d: string) => {
    if (sentAtAnswer === -1) sentAtAnswer = sent;
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
  return new Promise<{ head: string; body: string; sent: number; sentAtAnswer: number; finished: boolean }>(
    (resolve) =>
      socket.once('close', () => {
        clearInterval(timer);
        const [head = '', body = ''] = received.split('\r\n\r\n', 2);
        resolve({ head, body, sent, sentAtAnswer, finished: sent >= total });
      }),
  );
}

/**
 * Writes a request with a `size`-byte body whole before it reads anything, as Python's urllib
 * does (with "Connection: close"), and returns what came back once the server closed, and how.
 */
function uploadThenRead(path: string, headers: Record<string, string>, size: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let written = false;
  let error: string | null = null;
  socket.setEncoding('utf8').on('data', (d: string) => {
    received += d;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    error = err.code ?? err.message;
  });
  const head = Object.entries({
    Host: 'vigil',
    Connection: 'close',
    'Content-Length': String(size),
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  socket.write(Buffer.alloc(size, 0x20), () => {
    written = true;
  });
  return new Promise<{ head: string; body: string; written: boolean; error: string | null }>((resolve) =>
    socket.once('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n', 2);
      resolve({ head, body, written, error });
    }),
  );
}

describe('bodies too large', () => {
  it('refuses a 10 MB chunked JSON body on /api/v1 with 413 while it streams, then reads and drops the rest', async () => {
    const res = await chunkedUpload('/api/v1/checks', {
      'X-Api-Key': key,
      'Content-Type': 'application/json',
    });
    expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
    // answered long before the body ended, and not cut off: the client could send it all
    expect(res.sentAtAnswer).toBeGreaterThanOrEqual(0);
    expect(res.sentAtAnswer).toBeLessThan(1024 * 1024);
    expect(res.finished).toBe(true);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'payload_too_large', message: 'the request body is larger than 64 KB' },
    });
    await answered();
  });

  it('refuses one on a compat route the same way, in its flat error shape', async () => {
    const res = await chunkedUpload('/api/daemon/register', { 'X-API-Key': key });
    expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(res.sentAtAnswer).toBeGreaterThanOrEqual(0);
    expect(res.sentAtAnswer).toBeLessThan(1024 * 1024);
    expect(res.body).toContain('"error":"Payload Too Large"');
    await answered();
  });

  it('hangs up on a body that goes on and on after the 413', async () => {
    // 200 MB at 12.8 MB/s: cut off by the request timeout (2 s here) long before it ends
    const res = await chunkedUpload('/api/v1/checks', { 'X-Api-Key': key }, 200 * 1024 * 1024);
    expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(res.finished).toBe(false);
    expect(res.sent).toBeLessThan(100 * 1024 * 1024);
    await answered();
  });

  it('keeps a kept-alive connection usable after a 413 and the rest of its body', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      received += d;
    });
    const size = 1024 * 1024;
    socket.write(
      `POST /api/v1/checks HTTP/1.1\r\nHost: vigil\r\nX-Api-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(size, 0x20));
    socket.write('GET /healthz HTTP/1.1\r\nHost: vigil\r\n\r\n');
    await vi.waitFor(() => expect(received.match(/HTTP\/1\.1 \d+/g)).toHaveLength(2), { timeout: 5000 });
    socket.destroy();
    expect(received.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 200']);
  });

  it('answers a client that writes its whole body before it reads, with "Connection: close"', async () => {
    const cases: { path: string; headers: Record<string, string>; size: number; says: string }[] = [
      {
        path: '/api/v1/checks',
        headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
        size: 5 * 1024 * 1024,
        says: '"code":"payload_too_large"',
      },
      {
        path: '/api/daemon/register',
        headers: { 'X-API-Key': key },
        size: 5 * 1024 * 1024,
        says: '"error":"Payload Too Large"',
      },
      // past the 100 KB kept and the 10 MB read and dropped before the 413
      { path: `/ping/${checkId}/fail`, headers: {}, size: 30 * 1024 * 1024, says: 'ping body too large' },
    ];
    for (const c of cases) {
      const res = await uploadThenRead(c.path, c.headers, c.size);
      expect(res, c.path).toMatchObject({ written: true, error: null });
      expect(res.head, c.path).toMatch(/^HTTP\/1\.1 413 /);
      expect(res.body, c.path).toContain(c.says);
    }
    // the refused failure ping was not stored
    const check = await fetch(`${server.url}/api/v1/checks/${checkId}`, { headers: { 'X-Api-Key': key } });
    expect(((await check.json()) as { status: string }).status).toBe('up');
    await answered();
  });
});
