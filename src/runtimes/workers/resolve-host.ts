// The private-address check's resolver on Workers: names are not looked up. fetch() from a
// Worker goes out through Cloudflare's network to the public internet and cannot reach a
// private network by name, so a name that resolves to 10.0.0.1 reaches nothing there; a DNS
// lookup per delivery (DNS over HTTPS, a subrequest) would buy nothing. IP literals are still
// checked, so a URL with a private address is refused unless VIGIL_ALLOW_PRIVATE_URLS is set.
import { ipLiteral } from '../../notifiers/private-address.ts';

export async function literalAddressesOnly(hostname: string): Promise<string[] | null> {
  const literal = ipLiteral(hostname);
  return literal !== null ? [literal] : null;
}
