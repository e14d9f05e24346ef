import type { Context, MiddlewareHandler } from 'hono';
import { authenticate } from '../../projects/keys.ts';
import type { ApiKey } from '../../store/store.ts';
import { limitKey, requestAddress } from '../client-address.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { RateLimitedError } from '../rate-limit.ts';

export interface AuthVariables {
  apiKey: ApiKey;
}

/** What authenticating an API request needs. */
export type AuthDeps = Pick<AppDeps, 'store' | 'rateLimits' | 'clientAddress' | 'config' | 'now'>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The API key `token` names, within the rate limits; null when there is no such key. A request
 * without a valid key takes from its address's bucket, and an address that has used it up is
 * refused before its key is even looked at, so guessing keys is slow. A valid key takes from its
 * own bucket. Over a limit: a RateLimitedError (each API answers it in its own error shape).
 */
export async function authenticateLimited(
  c: Context,
  deps: AuthDeps,
  token: string | null | undefined,
): Promise<ApiKey | null> {
  const limits = deps.rateLimits;
  const now = deps.now();
  const address = limits?.apiAddress ? limitKey(requestAddress(c, deps)) : '';
  const guessing = limits?.apiAddress?.wait(address, now) ?? 0;
  if (guessing > 0) throw new RateLimitedError(guessing, 'too many requests without a valid API key');
  const key = token ? await authenticate(deps.store, token.trim()) : null;
  if (!key) {
    limits?.apiAddress?.take(address, now);
    return null;
  }
  const wait = limits?.api?.take(key.id, now) ?? 0;
  if (wait > 0) throw new RateLimitedError(wait, 'too many requests with this API key');
  return key;
}

/** Accepts `X-Api-Key: <key>` or `Authorization: Bearer <key>`; sets `apiKey` for the handlers. */
export function apiKeyAuth(deps: AuthDeps): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function apiKeyAuth(c, next) {
    const header = c.req.header('x-api-key') ?? BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    const key = await authenticateLimited(c, deps, header);
    if (!header) {
      throw new ApiError(
        401,
        'unauthorized',
        'send an API key as "X-Api-Key: <key>" or "Authorization: Bearer <key>"',
      );
    }
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
