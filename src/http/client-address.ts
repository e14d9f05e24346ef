// Who sent a request, for a ping's source and for the per-address rate limits: the TCP peer, or
// behind a proxy of our own (VIGIL_TRUST_PROXY) the address that proxy put in X-Forwarded-For.
import type { Context } from 'hono';
import { parseIpAddress } from '../notifiers/private-address.ts';
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

/**
 * What a per-address rate limit counts. An IPv4 address is one client; an IPv6 address is
 * not: a host or a home network is given a whole /64 and can send from any address in it, so
 * IPv6 clients count by their /64 ("2001:db8:1:2::/64"). An IPv4-mapped address
 * (::ffff:192.0.2.1) counts as its IPv4 address; an unknown one as "unknown".
 */
export function limitKey(address: string | null): string {
  if (address === null) return 'unknown';
  // no colon: IPv4, or no address at all; either counts as itself (and a ping pays no parse)
  if (!address.includes(':')) return address;
  const parsed = parseIpAddress(address);
  if (parsed === null || parsed.version === 4) return address;
  const w = parsed.words;
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return [w[6]! >> 8, w[6]! & 0xff, w[7]! >> 8, w[7]! & 0xff].join('.');
  }
  return `${w
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
