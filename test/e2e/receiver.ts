// A loopback webhook receiver: records each request with its arrival time and answers as
// told (200, a status such as 503, a dropped connection, or never).
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Mode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string }
  /** destroys the socket without an answer */
  | { kind: 'close' }
  /** reads the request and never answers (a delivery stays in flight) */
  | { kind: 'hang' };

export interface Received {
  /** Date.now() when the whole body had arrived */
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** the raw body as received: signatures are over these bytes */
  body: string;
  /** what we answered: an HTTP status, 'closed' or 'hung' */
  answer: number | 'closed' | 'hung';
}

export interface Receiver {
  url: string;
  requests: Received[];
  setMode(mode: Mode): void;
  /** the first recorded request (past or future) matching `pred`; rejects after `timeoutMs` */
  next(pred: (r: Received) => boolean, timeoutMs: number, what?: string): Promise<Received>;
  close(): Promise<void>;
}

export async function startReceiver(initial: Mode = { kind: 'ok' }): Promise<Receiver> {
  let mode = initial;
  const requests: Received[] = [];
  const events = new EventEmitter<{ request: [Received] }>();
  // one listener per waiting next(): a spec may wait for many webhooks at once
  events.setMaxListeners(0);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = mode;
      const answer: Received['answer'] =
        m.kind === 'ok' ? 200 : m.kind === 'status' ? m.status : m.kind === 'close' ? 'closed' : 'hung';
      const r: Received = {
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answer,
      };
      requests.push(r);
      if (m.kind === 'ok') res.end('ok');
      else if (m.kind === 'status')
        res.writeHead(m.status, m.retryAfter ? { 'Retry-After': m.retryAfter } : {}).end('unavailable');
      else if (m.kind === 'close') req.socket.destroy();
      events.emit('request', r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    setMode: (m) => {
      mode = m;
    },
    next: (pred, timeoutMs, what = 'a matching webhook') =>
      new Promise<Received>((resolve, reject) => {
        const seen = requests.find(pred);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => {
          events.off('request', onRequest);
          reject(new Error(`no ${what} within ${timeoutMs} ms (got ${requests.length} requests)`));
        }, timeoutMs);
        function onRequest(r: Received) {
          if (!pred(r)) return;
          clearTimeout(timer);
          events.off('request', onRequest);
          resolve(r);
        }
        events.on('request', onRequest);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        // hung requests must not keep the server open
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The JSON body of a webhook. */
export function payloadOf(r: Received): {
  event: string;
  check: { id: string; name: string; status: string; last_ping_at: string | null };
  flip: { id: number; from: string; to: string; at: string; reason: string };
} {
  return JSON.parse(r.body);
}
