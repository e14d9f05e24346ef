// Sealing the secrets vigil keeps in its database (channel configs with their webhook URLs,
// tokens and passwords; source configs with connection strings and API tokens) with
// AES-256-GCM, so a copy of the database file, a backup or a read-only SQL login does not
// hand them out. node:crypto: synchronous, so rows map to objects as before, and ten times
// faster than Web Crypto's async AES-GCM on Node (12 vs 110 µs per value measured); on
// Workers, nodejs_compat provides the same API (verified in workerd by test/workers).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { ConfigError } from '../config-env.ts';

/** `enc:<format>:<key id>:<base64 of iv | ciphertext | tag>` */
const PREFIX = 'enc:';
const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^enc:([^:]+):([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2})$/;

/**
 * The stored secrets cannot be opened with the key at hand: another key, no key, or a value
 * that was changed. A ConfigError, so a start that meets it stops with this message.
 */
export class SecretKeyError extends ConfigError {}

export class SecretBox {
  /**
   * Names the key in every value it seals (a keyed hash: it tells keys apart and reveals
   * nothing of them), so a wrong key is told from a damaged value, and a later version can
   * hold several keys and rotate.
   */
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(
    key: Uint8Array,
    /** where the key came from, for messages: "VIGIL_SECRET_KEY", "the key file /data/secret.key" */
    readonly source = 'VIGIL_SECRET_KEY',
  ) {
    if (key.length !== 32) throw new Error(`an AES-256 key is 32 bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
    this.keyId = createHmac('sha256', this.#key).update('vigil secret key id').digest('hex').slice(0, 8);
  }

  /**
   * `plain` sealed under a fresh random IV. `context` (e.g. "channel <id>") is authenticated
   * with it, so a sealed value copied into another row does not open there.
   */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${FORMAT}:${this.keyId}:${Buffer.concat([iv, body]).toString('base64')}`;
  }

  /** The plain text of a value `seal` made for the same context; a SecretKeyError otherwise. */
  open(sealed: string, context: string): string {
    const { format, keyId, bytes } = parseSealed(sealed, context);
    if (format !== FORMAT) {
      throw new SecretKeyError(
        `${context}: its secrets are sealed in format ${format}, which this version of vigil does not read; was the database written by a newer one?`,
      );
    }
    if (keyId !== this.keyId) throw this.wrongKey(keyId);
    if (bytes.length < IV_BYTES + TAG_BYTES) throw damaged(context);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw damaged(context);
    }
  }

  /** The error for secrets sealed with key `keyId`, which is not this one. */
  wrongKey(keyId: string): SecretKeyError {
    return new SecretKeyError(
      `${this.source} does not decrypt the stored secrets; was the key changed? They were sealed with key ${keyId}, and this key is ${this.keyId}. Start vigil with the key they were sealed with (on PostgreSQL every node needs the same key); see docs/security.md, "Secrets at rest"`,
    );
  }
}

/** Whether a stored value is sealed (a plain config is JSON text, which never starts so). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** The id of the key a sealed value was sealed with. */
export function sealedKeyId(sealed: string): string | null {
  return SEALED.exec(sealed)?.[2] ?? null;
}

/** What a secret column stores for `plain`: sealed with `box`, or plain without a key. */
export function sealText(box: SecretBox | null, plain: string, context: string): string {
  return box === null ? plain : box.seal(plain, context);
}

/**
 * The plain text of a secret column: opened with `box`, or as it is when it was stored plain
 * (before this vigil sealed secrets, or on a Worker without VIGIL_SECRET_KEY).
 */
export function openText(box: SecretBox | null, stored: string, context: string): string {
  if (!isSealed(stored)) return stored;
  if (box === null) throw missingKey(sealedKeyId(stored) ?? 'unknown');
  return box.open(stored, context);
}

/** The error for sealed secrets when no key was given. */
export function missingKey(keyId: string): SecretKeyError {
  return new SecretKeyError(
    `the stored secrets are sealed (with key ${keyId}), but VIGIL_SECRET_KEY is not set: set it to the key they were sealed with; see docs/security.md, "Secrets at rest"`,
  );
}

function parseSealed(sealed: string, context: string) {
  const m = SEALED.exec(sealed);
  if (!m) throw damaged(context);
  return { format: m[1]!, keyId: m[2]!, bytes: Buffer.from(m[3]!, 'base64') };
}

function damaged(context: string): SecretKeyError {
  return new SecretKeyError(
    `${context}: its sealed secrets do not open with this key although the key is the right one: the stored value was changed or damaged; enter the secrets again`,
  );
}
