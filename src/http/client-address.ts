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

/**
 * What a per-address rate limit counts. An IPv4 address is one client; an IPv6 address is
 * not: a host or a home network is given a whole /64 and can send from any address in it, so
 * IPv6 clients count by their /64 ("2001:db8:1:2::/64"). An IPv4-mapped address
 * (::ffff:192.0.2.1) counts as its IPv4 address; an unknown one as "unknown".
 */
export function limitKey(address: string | null): string {
  if (address === null) return 'unknown';
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  return ipv6Prefix64(address) ?? address;
}

/** The /64 an IPv6 address is in, written short; null for anything that is not one. */
function ipv6Prefix64(address: string): string | null {
  const halves = address.replace(/%.*$/, '').split('::'); // without a zone (fe80::1%eth0)
  if (halves.length > 2) return null;
  const groups = (half: string | undefined) => {
    if (!half) return [];
    const parts = half.split(':');
    // a dotted IPv4 tail (64:ff9b::192.0.2.1) is the last two groups
    return parts.flatMap((p, i) => (i === parts.length - 1 && p.includes('.') ? ['0', '0'] : [p]));
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
