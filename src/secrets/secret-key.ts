// Reading the secret key from text (VIGIL_SECRET_KEY, or a key file): 32 bytes written as 64
// hex digits or as base64 (base64url too). Runtime-neutral: Node and Workers both read it.

const HEX = /^[0-9a-fA-F]{64}$/;
/** 32 bytes are 43 base64 digits and one "=" of padding, which may be left off */
const BASE64 = /^[A-Za-z0-9+/]{43}=?$/;

/** How to make a key, for messages and the docs. */
export const MAKE_KEY = 'openssl rand -base64 32';

/** The 32 key bytes `text` spells, or null when it spells no 32-byte key. */
export function decodeSecretKey(text: string): Uint8Array | null {
  const t = text.trim();
  if (HEX.test(t)) return Uint8Array.from(t.match(/../g)!, (h) => Number.parseInt(h, 16));
  const b64 = t.replace(/-/g, '+').replace(/_/g, '/');
  if (!BASE64.test(b64)) return null;
  const bytes = Uint8Array.from(atob(b64.endsWith('=') ? b64 : `${b64}=`), (c) => c.charCodeAt(0));
  return bytes.length === 32 ? bytes : null;
}

/** The text a key file holds: base64 and a newline, as VIGIL_SECRET_KEY takes it too. */
export function encodeSecretKey(key: Uint8Array): string {
  return `${btoa(String.fromCharCode(...key))}\n`;
}
