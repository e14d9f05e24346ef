// Bodies past a limit are refused as they stream in (hono's bodyLimit), and, when the client
// says the size up front, before a byte of the body is read. Hono's middleware opens the body
// as a web stream before it looks at Content-Length; that stream pauses the socket once its
// queue is full, so the rest of the body could not be read and dropped after the 413 (see
// src/node/linger.ts), and a client that sends its whole body before it reads the answer (as
// Python's urllib does) got a broken pipe instead of the 413.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as streamedLimit } from 'hono/body-limit';

export function bodyLimit(options: {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler {
  const streamed = streamedLimit(options);
  return async function bodyLimitByLength(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      // Node has checked it is digits only; anything else never reaches us
      return Number(length) > options.maxSize ? options.onError(c) : next();
    }
    return streamed(c, next);
  };
}
