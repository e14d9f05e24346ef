// Who sent a request, for a ping's source and for the per-address rate limits: the TCP peer, or
// behind a proxy of our own (VIGIL_TRUST_PROXY) the address that proxy put in X-Forwarded-For.
import type { Context } from 'hono';
import type { AppDeps } from './deps.ts';

/**
 * The client address our proxy saw: the last X-Forwarded-For entry, the one the proxy added
 * (entries before it are whatever the client sent). Anything but an IP address is ignored.
 */
export function proxiedClient(header: string | null | undefined): string | null {
  const last = header?.split(',').at(-1)?.trim() ?? '';
  return /^[0-9a-fA-F:.]{2,45}$/.test(last) ? last : null;
}

/** The address a Hono route's request came from (null when the runtime cannot tell). */
export function requestAddress(c: Context, deps: Pick<AppDeps, 'clientAddress' | 'config'>): string | null {
  const forwarded = deps.config.trustProxy ? proxiedClient(c.req.header('x-forwarded-for')) : null;
  return forwarded ?? deps.clientAddress(c);
}
