// An answer sent before the request's body has all arrived (a 413, a 401 to an upload) reaches
// the client only if the server goes on reading: closing a socket with unread data makes the
// kernel send a reset, and a client that writes its whole body before it reads (Python's
// urllib, for one) sees "broken pipe" or "connection reset" instead of the answer. So the
// rest of the body is read and dropped, as nginx's lingering close does, within bounds: at
// most LINGER_BYTES more, for at most LINGER_MS (and the server's request timeout), then the
// socket is cut off. Once the body has ended, a connection kept alive goes on to its next
// request, and one that either side asked to close ends cleanly.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

export const LINGER_MS = 5_000;
export const LINGER_BYTES = 64 * 1024 * 1024;

const nodeDestroySoon = Socket.prototype.destroySoon;

/**
 * node:http closes a connection after its answer with destroySoon() when either side said
 * "Connection: close" (urllib always does): a reset, if the body is still coming. While
 * `req`'s body has not ended, this socket's destroySoon only ends our side instead.
 */
function endInsteadOfReset(req: IncomingMessage): void {
  req.socket.destroySoon = function endWhileBodyComes(this: Socket) {
    if (req.complete) nodeDestroySoon.call(this);
    else this.end();
  };
}

/** Reads and drops the rest of `req`'s body, within bounds (see above). */
export function dropRestOfBody(req: IncomingMessage): void {
  const socket = req.socket;
  endInsteadOfReset(req);
  let dropped = 0;
  const cutOff = setTimeout(() => socket.destroy(), LINGER_MS);
  cutOff.unref();
  const onData = (chunk: Buffer) => {
    dropped += chunk.byteLength;
    if (dropped > LINGER_BYTES) socket.destroy();
  };
  const done = () => {
    clearTimeout(cutOff);
    req.off('data', onData);
    socket.off('close', done);
  };
  // All of it read. A connection that is closing has ended our side already and waits for the
  // client to close its own: the cut-off stays, in case it never does. One kept alive goes on.
  const onEnd = () => {
    if (!socket.writableEnded) done();
  };
  socket.once('close', done);
  // A web stream that read part of the body (Readable.toWeb) would queue the rest in memory.
  req.removeAllListeners('data');
  req.on('data', onData);
  req.once('end', onEnd);
  req.resume();
}

/**
 * For requests that node:http hands to a framework: once the answer is out, a body that has
 * not ended is read and dropped (dropRestOfBody).
 */
export function lingerAfterEarlyAnswers(
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // before the answer: node:http's own 'finish' listener, added first, closes the socket
      endInsteadOfReset(req);
      res.once('finish', () => {
        if (!req.complete) dropRestOfBody(req);
      });
    }
    void listener(req, res);
  };
}
