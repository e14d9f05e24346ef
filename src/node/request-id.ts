// The request id of a request the ping fast path answers, made only when something needs it
// (a log line, a 5xx, a client that sent its own) and then kept on the request, so the error
// line and the access line of one request carry the same id.
import type { IncomingMessage } from 'node:http';
import { requestIdFrom } from '../http/request-id.ts';

const ID = Symbol('vigil.requestId');

type WithId = IncomingMessage & { [ID]?: string };

export function requestIdOf(req: IncomingMessage): string {
  const r = req as WithId;
  if (r[ID] === undefined) {
    const header = req.headers['x-request-id'];
    r[ID] = requestIdFrom(Array.isArray(header) ? header[0] : header);
  }
  return r[ID];
}
