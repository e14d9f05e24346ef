// A loopback server for probes to request: it answers slowly, wrongly, hugely, with a redirect,
// or not at all, as each path says, and counts the requests it got.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Target {
  url: string;
  /** requests per path (without the query) */
  hits: Map<string, number>;
  /** the last request's headers */
  lastHeaders: IncomingHttpHeaders | null;
  lastBody: string | null;
  /** what GET /toggle answers: switch it to make a healthy endpoint fail and recover */
  toggle: { status: number; body: string };
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const state: Target = {
    url: '',
    hits: new Map(),
    lastHeaders: null,
    lastBody: null,
    toggle: { status: 200, body: 'all good' },
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://target');
    state.hits.set(url.pathname, (state.hits.get(url.pathname) ?? 0) + 1);
    state.lastHeaders = req.headers;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.lastBody = Buffer.concat(chunks).toString();
      const q = url.searchParams;
      switch (url.pathname) {
        case '/slow':
          setTimeout(() => res.end('slow but ok'), Number(q.get('ms') ?? 200));
          return;
        case '/status':
          res.statusCode = Number(q.get('code') ?? 200);
          res.end(q.get('body') ?? '');
          return;
        case '/redirect':
          res.writeHead(302, { location: '/status?code=200' }).end();
          return;
        case '/large': {
          // 2 MiB of filler, then the word probes look for
          res.write('x'.repeat(2 * 1024 * 1024));
          res.end('needle');
          return;
        }
        case '/hang':
          return; // never answers; close() ends the socket
        case '/toggle':
          res.statusCode = state.toggle.status;
          res.end(state.toggle.body);
          return;
        default:
          res.end('status: ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A loopback port nothing listens on: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
