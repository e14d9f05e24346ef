import type { MiddlewareHandler } from 'hono';
import { authenticate } from '../../projects/keys.ts';
import type { ApiKey, Store } from '../../store/store.ts';
import { ApiError } from '../errors.ts';

export interface AuthVariables {
  apiKey: ApiKey;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Accepts `X-Api-Key: <key>` or `Authorization: Bearer <key>`; sets `apiKey` for the handlers. */
export function apiKeyAuth(store: Store): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function apiKeyAuth(c, next) {
    const header = c.req.header('x-api-key') ?? BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    if (!header) {
      throw new ApiError(
        401,
        'unauthorized',
        'send an API key as "X-Api-Key: <key>" or "Authorization: Bearer <key>"',
      );
    }
    const key = await authenticate(store, header.trim());
    if (!key)
      throw new ApiError(
        401,
        'unauthorized',
        'the API key is not valid (revoked, mistyped, or from another server)',
      );
    c.set('apiKey', key);
    await next();
  };
}

/** Read-only keys may only read. */
export function requireWrite(): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function requireWrite(c, next) {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && c.get('apiKey').readOnly) {
      throw new ApiError(403, 'forbidden', 'this API key is read-only; use a read-write key to make changes');
    }
    await next();
  };
}
