// The one node: import of the notifier layer (DESIGN §6): Web-standard fetch cannot tell us
// which addresses a hostname resolves to, and we must know before connecting. This is the
// default resolver of http.ts; the Workers runtime passes its own (HttpClientOptions.resolveHost),
// which looks no names up: fetch there cannot reach private networks by name. The import stays
// harmless in the Workers bundle (workerd has node:dns with nodejs_compat; it is never called).
import { lookup } from 'node:dns/promises';
import { ipLiteral } from './private-address.ts';

/**
 * Every address a URL's hostname resolves to. IP literals (with or without IPv6 brackets)
 * come back as they are, without a lookup. Lookup failures reject with the DNS error.
 */
export async function resolveHost(hostname: string): Promise<string[]> {
  const literal = ipLiteral(hostname);
  if (literal !== null) return [literal];
  const found = await lookup(hostname, { all: true });
  return found.map((entry) => entry.address);
}
