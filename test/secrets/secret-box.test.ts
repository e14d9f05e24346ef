// Sealing one value: AES-256-GCM with a fresh IV, bound to its row, and errors that tell a
// wrong key from a changed value. And the key as VIGIL_SECRET_KEY spells it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import {
  isSealed,
  openText,
  SecretBox,
  SecretKeyError,
  sealedKeyId,
  sealText,
} from '../../src/secrets/secret-box.ts';
import { decodeSecretKey, encodeSecretKey } from '../../src/secrets/secret-key.ts';

const CONFIG = JSON.stringify({ url: 'https://hooks.slack.com/services/T0/B0/abcdefghijklmnop' });

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('it did not throw');
}

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, and the sealed text holds none of the plain text', () => {
    const sealed = box.seal(CONFIG, 'channel a');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain('hooks.slack.com');
    expect(sealed).not.toContain('abcdefghijklmnop');
    expect(box.open(sealed, 'channel a')).toBe(CONFIG);
    expect(box.open(box.seal('', 'channel a'), 'channel a')).toBe('');
    expect(box.open(box.seal('ünïcödé ✓', 'x'), 'x')).toBe('ünïcödé ✓');
  });

  it('seals the same text differently every time (a fresh IV each)', () => {
    const sealed = Array.from({ length: 200 }, () => box.seal(CONFIG, 'channel a'));
    expect(new Set(sealed).size).toBe(200);
    const ivs = sealed.map((s) => Buffer.from(s.split(':')[3]!, 'base64').subarray(0, 12).toString('hex'));
    expect(new Set(ivs).size).toBe(200);
  });

  it('refuses a value changed anywhere, as changed and not as a wrong key', () => {
    const sealed = box.seal(CONFIG, 'channel a');
    const bytes = Buffer.from(sealed.split(':')[3]!, 'base64');
    // one bit flipped in the IV, the ciphertext and the tag
    for (const at of [0, 12, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at]! ^= 1;
      const err = thrown(() => box.open(`enc:v1:${box.keyId}:${changed.toString('base64')}`, 'channel a'));
      expect(err).toBeInstanceOf(SecretKeyError);
      expect(err.message).toMatch(/channel a: .*the stored value was changed or damaged/);
    }
    expect(() => box.open(`enc:v1:${box.keyId}:AAAA`, 'channel a')).toThrow(/changed or damaged/);
    expect(() => box.open('enc:v1:nonsense', 'channel a')).toThrow(/changed or damaged/);
  });

  it('refuses a value sealed for another row (copied from one channel into another)', () => {
    const sealed = box.seal(CONFIG, 'channel a');
    expect(() => box.open(sealed, 'channel b')).toThrow(SecretKeyError);
  });

  it('says that the key was changed when another key sealed the value', () => {
    const sealed = new SecretBox(randomBytes(32)).seal(CONFIG, 'channel a');
    const err = thrown(() => box.open(sealed, 'channel a'));
    expect(err).toBeInstanceOf(SecretKeyError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(
      /^VIGIL_SECRET_KEY does not decrypt the stored secrets; was the key changed\?/,
    );
    expect(err.message).toContain(`this key is ${box.keyId}`);
  });

  it('names a key by a short id that is the same for the same key and differs for another', () => {
    const key = randomBytes(32);
    expect(new SecretBox(key).keyId).toBe(new SecretBox(Buffer.from(key)).keyId);
    expect(new SecretBox(key).keyId).not.toBe(new SecretBox(randomBytes(32)).keyId);
    expect(sealedKeyId(new SecretBox(key).seal('x', 'y'))).toBe(new SecretBox(key).keyId);
  });

  it('refuses a format it does not know, saying a newer vigil may have written it', () => {
    expect(() => box.open(`enc:v9:${box.keyId}:AAAA`, 'source s')).toThrow(/format v9.*newer/);
  });

  it('takes only a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('sealText and openText', () => {
  const box = new SecretBox(randomBytes(32));

  it('store plain without a key, and read plain (older) values with or without one', () => {
    expect(sealText(null, CONFIG, 'channel a')).toBe(CONFIG);
    expect(openText(null, CONFIG, 'channel a')).toBe(CONFIG);
    expect(openText(box, CONFIG, 'channel a')).toBe(CONFIG);
    expect(isSealed(CONFIG)).toBe(false);
  });

  it('seal with a key, and refuse a sealed value when no key is given', () => {
    const sealed = sealText(box, CONFIG, 'channel a');
    expect(isSealed(sealed)).toBe(true);
    expect(openText(box, sealed, 'channel a')).toBe(CONFIG);
    expect(() => openText(null, sealed, 'channel a')).toThrow(/sealed .* but VIGIL_SECRET_KEY is not set/);
  });
});

describe('VIGIL_SECRET_KEY', () => {
  const key = randomBytes(32);

  it('reads 32 bytes as hex, base64 and base64url, padded or not', () => {
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64').replace(/=$/, ''),
      key.toString('base64url'),
      ` ${key.toString('base64')}\n`,
    ]) {
      expect(Buffer.from(decodeSecretKey(text)!)).toEqual(key);
    }
    expect(Buffer.from(decodeSecretKey(encodeSecretKey(key))!)).toEqual(key);
    expect(Buffer.from(loadConfig({ VIGIL_SECRET_KEY: key.toString('base64') }).secretKey!)).toEqual(key);
  });

  it('is null when unset', () => {
    expect(loadConfig({}).secretKey).toBeNull();
  });

  it('refuses another length or encoding with a ConfigError that never quotes the value', () => {
    for (const text of [
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      randomBytes(33).toString('base64'),
      'correct horse battery staple correct horse battery',
    ]) {
      expect(decodeSecretKey(text)).toBeNull();
      const err = thrown(() => loadConfig({ VIGIL_SECRET_KEY: text }));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(
        /^VIGIL_SECRET_KEY: expected 32 random bytes as 64 hex digits or as base64/,
      );
      expect(err.message).toContain('openssl rand -base64 32');
      expect(err.message).not.toContain(text);
    }
  });
});
