import { describe, expect, it } from 'vitest';
import { getNotifier, maskSecrets, mergeSecrets, notifiers } from '../../src/notifiers/registry.ts';

const stored = {
  url: 'https://hooks.example.com/x',
  method: 'POST',
  secret: 'whsec_0123456789abcd',
  headers: { Authorization: 'Bearer tok_0123456789wxyz', 'X-Short': 'abc' },
};

describe('the registry', () => {
  it('files every notifier under its own kind', () => {
    for (const [kind, notifier] of Object.entries(notifiers)) expect(notifier.kind).toBe(kind);
    expect(getNotifier('webhook')?.kind).toBe('webhook');
  });

  it.each(['sms-pigeon', 'constructor', '__proto__'])('knows no channel kind "%s"', (kind) => {
    expect(getNotifier(kind)).toBeUndefined();
  });
});

describe('maskSecrets', () => {
  it('keeps the last 4 characters of long secrets and nothing of short ones', () => {
    expect(maskSecrets('webhook', stored)).toEqual({
      url: 'https://hooks.example.com/••••',
      method: 'POST',
      secret: '••••abcd',
      headers: { Authorization: '••••wxyz', 'X-Short': '••••' },
    });
  });

  it('leaves the stored config untouched', () => {
    const copy = structuredClone(stored);
    maskSecrets('webhook', stored);
    expect(stored).toEqual(copy);
  });

  it('refuses to guess for an unknown kind', () => {
    expect(() => maskSecrets('sms-pigeon', stored)).toThrow('unknown channel kind "sms-pigeon"');
  });
});

describe('URL masking', () => {
  it('keeps the origin and masks the path and query, whose token shows its last 4 characters', () => {
    const config = { ...stored, url: 'https://discord.com/api/webhooks/123/abcdefghijklmnop?wait=true' };
    expect(maskSecrets('webhook', config).url).toBe('https://discord.com/••••true');
  });

  it('shows a bare origin as it is', () => {
    expect(maskSecrets('webhook', { ...stored, url: 'https://hooks.example.com/' }).url).toBe(
      'https://hooks.example.com/',
    );
  });

  it('restores the stored URL when its masked form comes back, and only then', () => {
    const config = { ...stored, url: 'https://hooks.example.com/services/T0/B0/tokentoken' };
    const masked = maskSecrets('webhook', config);
    expect(mergeSecrets('webhook', config, masked).url).toBe(config.url);
    expect(mergeSecrets('webhook', config, { ...masked, url: 'https://other.example.com/' }).url).toBe(
      'https://other.example.com/',
    );
  });
});

describe('mergeSecrets', () => {
  it('keeps the old secrets when the masked values are sent back', () => {
    const edited = { ...maskSecrets('webhook', stored), url: 'https://hooks.example.com/y' };
    expect(mergeSecrets('webhook', stored, edited)).toEqual({
      ...stored,
      url: 'https://hooks.example.com/y',
    });
  });

  it('takes a new secret when one is sent', () => {
    const edited = { ...maskSecrets('webhook', stored), secret: 'brand-new-secret' };
    expect(mergeSecrets('webhook', stored, edited).secret).toBe('brand-new-secret');
  });

  it('restores header values by header name', () => {
    const edited = { ...stored, headers: { Authorization: '••••wxyz', 'X-Added': 'new' } };
    expect(mergeSecrets('webhook', stored, edited).headers).toEqual({
      Authorization: 'Bearer tok_0123456789wxyz',
      'X-Added': 'new',
    });
  });

  it('does not bring back a secret the update left out', () => {
    const { secret: _removed, ...withoutSecret } = maskSecrets('webhook', stored);
    expect(mergeSecrets('webhook', stored, withoutSecret)).not.toHaveProperty('secret');
  });
});
