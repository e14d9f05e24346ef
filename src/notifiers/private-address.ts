// Which IP addresses a user-supplied URL must not reach. Pure (no lookups), so it runs on any
// runtime; address-guard.ts does the DNS part. Addresses are parsed by hand rather than with
// node:net so this file stays runtime-neutral.

type Parsed = { version: 4; value: number } | { version: 6; words: number[] };

/** [network, prefix length]. Everything a webhook has no business reaching from vigil's host. */
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT; also cloud metadata (100.100.100.200 on Alibaba)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 metadata endpoints
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 3], // multicast, reserved and broadcast (224/4 + 240/4)
];

const BLOCKED_V4_PARSED = BLOCKED_V4.map(([net, bits]) => [parseIpv4(net)!, bits] as const);

/** Parses an IPv4 or IPv6 literal (IPv6 without brackets; a zone id is ignored). Null if neither. */
export function parseIpAddress(text: string): Parsed | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const words = parseIpv6(text);
  return words === null ? null : { version: 6, words };
}

/**
 * True for loopback, private, link-local, ULA, CGNAT, multicast and other reserved addresses,
 * including IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4). Text that is not
 * an IP address counts as private: the guard fails closed.
 */
export function isPrivateAddress(address: string): boolean {
  const parsed = parseIpAddress(address);
  if (parsed === null) return true;
  if (parsed.version === 4) return isPrivateIpv4(parsed.value);
  const w = parsed.words as [number, number, number, number, number, number, number, number];
  const embedded = ((w[6] << 16) | w[7]) >>> 0;
  const firstFiveZero = w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0;
  // ::/96 covers :: (unspecified), ::1 (loopback) and deprecated IPv4-compatible addresses
  if (firstFiveZero && w[5] === 0) return true;
  if (firstFiveZero && w[5] === 0xffff) return isPrivateIpv4(embedded); // ::ffff:a.b.c.d
  if (w[0] === 0x64 && w[1] === 0xff9b) {
    // 64:ff9b::/96 is NAT64 for a public IPv4 address; 64:ff9b:1::/48 is local use only
    return w[2] !== 0 || w[3] !== 0 || w[4] !== 0 || w[5] !== 0 || isPrivateIpv4(embedded);
  }
  if (w[0] === 0x2002) return isPrivateIpv4(((w[1] << 16) | w[2]) >>> 0); // 6to4
  if ((w[0] & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local (incl. fd00:ec2::254)
  if ((w[0] & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((w[0] & 0xffc0) === 0xfec0) return true; // fec0::/10 old site-local
  if ((w[0] & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  return false;
}

/** `localhost` and `*.localhost` always mean this machine (RFC 6761), whatever DNS says. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function isPrivateIpv4(value: number): boolean {
  return BLOCKED_V4_PARSED.some(([net, bits]) => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (value & mask) >>> 0 === (net & mask) >>> 0;
  });
}

function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

function parseIpv6(text: string): number[] | null {
  const address = text.split('%')[0]!; // drop a zone id such as %eth0
  if (!/^[0-9a-fA-F:.]+$/.test(address)) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Colon-separated hex groups; the last one may be a dotted IPv4 address (two words). */
function parseGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups = text.split(':');
  const words: number[] = [];
  for (const [i, group] of groups.entries()) {
    if (i === groups.length - 1 && group.includes('.')) {
      const v4 = parseIpv4(group);
      if (v4 === null) return null;
      words.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
      words.push(Number.parseInt(group, 16));
    } else {
      return null;
    }
  }
  return words;
}

/** The address a URL's hostname names literally (IPv6 brackets dropped), or null for a name. */
export function ipLiteral(hostname: string): string | null {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return parseIpAddress(host) !== null ? host : null;
}
