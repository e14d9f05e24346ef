// Pings on Node, answered straight from node:http without building web Request/Response
// objects: the same handler as the Hono route, at a fraction of the cost per ping
// (measured in bench/ingest.ts: building the web objects cost more CPU than storing the ping).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  type BodyResult,
  CappedBody,
  handlePing,
  type PingDeps,
  type PingHttpResponse,
} from '../http/ping-handler.ts';
import { dropRestOfBody } from './linger.ts';
import { requestIdOf } from './request-id.ts';

/**
 * Reads at most `limit` bytes of the body as it streams in; the rest is read and dropped. Past
 * what a ping may send at all, it resolves at once (the 413) and the rest is dropped as it comes
 * (dropRestOfBody), so a client still sending gets the answer, not a reset.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const capped = new CappedBody(limit);
    const onData = (chunk: Buffer) => {
      if (!capped.push(chunk)) {
        req.off('data', onData);
        dropRestOfBody(req);
        resolve(capped.result());
      }
    };
    req.on('data', onData);
    req.on('end', () => resolve(capped.result()));
    req.on('error', reject);
  });
}

/** Each answer's headers as node:http takes them; the shared answers (ping-handler.ts) once. */
const headersOf = new WeakMap<PingHttpResponse, OutgoingHttpHeaders>();

function nodeHeaders(answer: PingHttpResponse): OutgoingHttpHeaders {
  let headers = headersOf.get(answer);
  if (headers === undefined) {
    headers = { ...answer.headers };
    if (answer.status !== 204) {
      headers['Content-Type'] = 'text/plain; charset=UTF-8';
      headers['Content-Length'] = Buffer.byteLength(answer.text);
    }
    if (Object.isFrozen(answer)) headersOf.set(answer, headers);
  }
  return headers;
}

/** `onError` gets the request's id too: made here only when a ping fails. */
export function fastPingListener({
  onError,
  ...deps
}: Omit<PingDeps, 'onError'> & { onError?: (err: unknown, requestId: string) => void }) {
  return async function fastPing(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const query = q === -1 ? null : new URLSearchParams(url.slice(q + 1));
    try {
      const answer = await handlePing(
        {
          method: req.method ?? 'GET',
          path: (q === -1 ? url : url.slice(0, q)).slice('/ping/'.length),
          query: (name) => query?.get(name) ?? null,
          header: (name) => {
            const v = req.headers[name];
            return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
          },
          peer: req.socket.remoteAddress ?? null,
          readBody: (limit) => readBody(req, limit),
        },
        deps,
      );
      res.writeHead(answer.status, nodeHeaders(answer));
      res.end(req.method === 'HEAD' || answer.status === 204 ? undefined : answer.text);
    } catch (err) {
      // The client closed the connection before its body ended: nothing was stored, and no
      // one is left to answer. Not a server error.
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && req.destroyed) return;
      const requestId = requestIdOf(req);
      onError?.(err, requestId);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-Request-Id': requestId });
      }
      res.end('internal error');
    }
  };
}
