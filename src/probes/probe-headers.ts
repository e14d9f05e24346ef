// A probe's request headers: which ones vigil will not send, and which hold secrets. Secret
// values are write-only, as channel secrets are: masked the same way when read, and a masked
// value sent back keeps the stored one.
import { MASK, maskValue } from '../notifiers/secret-mask.ts';
import type { Probe } from '../store/store.ts';

/** Headers that belong to the connection or that fetch sets: not the operator's to choose. */
export const RESERVED_PROBE_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

// Authorization, Cookie, X-Api-Key, X-Auth-Token, Private-Token, X-Hub-Signature, ...
const SECRET_NAME = /auth|cookie|token|secret|key|pass|credential|signature|session/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The headers as they may be shown: secret-looking ones masked. */
export function maskProbeHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, isSecretHeader(name) ? maskValue(value) : value]),
  );
}

/**
 * `next` with each value that is exactly the mask of the stored value of the same header (names
 * compared without case) replaced by that stored value, so a client can send back what it read.
 */
export function restoreProbeHeaders(
  previous: Probe | null,
  next: Record<string, string>,
): Record<string, string> {
  const old = new Map(Object.entries(previous?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.fromEntries(
    Object.entries(next).map(([name, value]) => {
      const stored = old.get(name.toLowerCase());
      return [name, stored !== undefined && value === maskValue(stored) ? stored : value];
    }),
  );
}

/** The first header whose value is still masked after restoring: it could not be restored. */
export function maskedHeader(headers: Record<string, string>): string | undefined {
  return Object.keys(headers).find((name) => headers[name]!.startsWith(MASK));
}
