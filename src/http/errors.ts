import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { CheckRuleError, SlugTakenError } from '../ingest/check-changes.ts';
import { isUniqueViolation } from '../store/store.ts';
import { RateLimitedError } from './rate-limit.ts';
import { type Unavailable, unavailable } from './unavailable.ts';

/** The one shape every API error has: `{ "error": { "code", "message", "details"? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: { field: string; message: string }[],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

export function errorResponse(c: Context, status: ContentfulStatusCode, body: ErrorBody) {
  return c.json(body, status);
}

/** Turns zod issues into field paths a client can act on: "schedule.period: must be >= 1". */
export function validationError(error: z.ZodError, where: string): ApiError {
  const details = error.issues.map((i) => {
    const field = [where, ...i.path.map(String)].filter(Boolean).join('.') || 'body';
    if (i.code === 'unrecognized_keys') {
      const names = i.keys.map((k) => JSON.stringify(k)).join(', ');
      return { field, message: `unknown field${i.keys.length > 1 ? 's' : ''} ${names}` };
    }
    // zod says only "Invalid key in record"; the reason is in the nested issues
    if (i.code === 'invalid_key') return { field, message: i.issues.map((k) => k.message).join('; ') };
    return { field, message: i.message };
  });
  const message = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new ApiError(400, 'invalid_request', message.slice(0, 2000), details);
}

const STATUS_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** What a 415 from the API says. */
export const SEND_JSON = 'send the body as JSON with "Content-Type: application/json"';

/** A 400 about one field of the request: the message names it, the details say what is wrong. */
export function fieldError(field: string, problem: string): ApiError {
  return new ApiError(400, 'invalid_request', `${field}: ${problem}`, [{ field, message: problem }]);
}

/** What a request answered 503 says: the code a client can act on, and why in words. */
export function unavailableError(why: Unavailable): ErrorBody['error'] {
  switch (why.reason) {
    case 'storage':
      return {
        code: 'storage_unavailable',
        message: `vigil cannot use its database right now: ${why.problem.what}; send the request again later`,
      };
    case 'database':
      return {
        code: 'database_unavailable',
        message:
          'vigil cannot reach its database right now (it may be restarting): send the request again in a few seconds',
      };
    case 'busy':
      return {
        code: 'busy',
        message: 'what this request changes was changing under it; nothing was saved: send it again',
      };
  }
}

/** The app's one error handler: known errors keep their status, anything else is a logged 500. */
export function toErrorResponse(err: unknown, c: Context, log: (err: unknown) => void) {
  if (err instanceof ApiError) {
    const error: ErrorBody['error'] = { code: err.code, message: err.message };
    if (err.details) error.details = err.details;
    return errorResponse(c, err.status, { error });
  }
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    // the OpenAPI layer refuses a media type with only "Unsupported Media Type"
    const message = status === 415 ? SEND_JSON : err.message || 'bad request';
    return errorResponse(c, status, {
      error: { code: STATUS_CODES[status] ?? 'bad_request', message },
    });
  }
  // A check edit the check's rules refuse, from any route that edits checks (the compat APIs too).
  if (err instanceof CheckRuleError) {
    return errorResponse(c, 400, {
      error: {
        code: 'invalid_request',
        message: err.message,
        details: [{ field: err.field, message: err.problem }],
      },
    });
  }
  if (err instanceof SlugTakenError)
    return errorResponse(c, 409, { error: { code: 'conflict', message: err.message } });
  if (err instanceof RateLimitedError) {
    c.header('Retry-After', String(err.retryAfter));
    return errorResponse(c, 429, { error: { code: 'rate_limited', message: err.message } });
  }
  // The checks before an insert passed, but another request inserted the same key meanwhile.
  if (isUniqueViolation(err)) {
    return errorResponse(c, 409, {
      error: {
        code: 'conflict',
        message: 'it exists already: another request created it at the same moment',
      },
    });
  }
  // Nothing was saved, for a reason that passes (reads go on): said why, and when to come back.
  const why = unavailable(err);
  if (why) {
    c.header('Retry-After', String(why.retryAfterS));
    return errorResponse(c, 503, { error: unavailableError(why) });
  }
  log(err);
  return errorResponse(c, 500, {
    error: { code: 'internal', message: 'internal error; it has been logged' },
  });
}
