// The Worker's settings: the same variables and rules as on Node, from wrangler.jsonc vars
// (which may be JSON numbers and booleans) and secrets; what only Node has is refused by name.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-env.ts';
import { loadWorkerConfig } from '../../src/runtimes/workers/worker-config.ts';

const bindings = { DB: {}, CLOCK: {} };

function problem(env: Record<string, unknown>): string {
  try {
    loadWorkerConfig({ ...bindings, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadWorkerConfig', () => {
  it('uses the defaults, and the request origin when VIGIL_BASE_URL is unset', () => {
    expect(loadWorkerConfig(bindings)).toMatchObject({
      baseUrl: null,
      pingBodyLimit: 100 * 1024,
      pingRetention: 1000,
      auditRetentionDays: 365,
      deliveryTimeoutMs: 10_000,
      allowPrivateTargets: false,
      admin: null,
      bootstrapKey: null,
    });
  });

  it('reads vars given as JSON numbers and booleans', () => {
    const c = loadWorkerConfig({ ...bindings, VIGIL_PING_RETENTION: 50, VIGIL_ALLOW_PRIVATE_URLS: true });
    expect(c.pingRetention).toBe(50);
    expect(c.allowPrivateTargets).toBe(true);
  });

  it('strips a trailing slash from the base URL', () => {
    expect(loadWorkerConfig({ ...bindings, VIGIL_BASE_URL: 'https://vigil.example.com/' }).baseUrl).toBe(
      'https://vigil.example.com',
    );
  });

  it('refuses what only a Node server has, naming each variable, with the schema’s problems', () => {
    const message = problem({
      VIGIL_DATABASE_URL: 'sqlite:./x.db',
      VIGIL_PORT: '8080',
      VIGIL_ADMIN_PASSWORD_FILE: '/run/secrets/pw',
      VIGIL_PING_BODY_LIMIT: 'lots',
    });
    expect(message).toContain('VIGIL_DATABASE_URL: a Worker keeps its data in the D1 binding "DB"');
    expect(message).toContain('VIGIL_PORT: a Worker does not listen on a port');
    expect(message).toContain('VIGIL_ADMIN_PASSWORD_FILE: Workers have no files');
    expect(message).toContain('VIGIL_PING_BODY_LIMIT: expected a size');
  });

  it('refuses the metrics and access log settings: a Worker has no /metrics', () => {
    const message = problem({ VIGIL_METRICS_KEY: 'k'.repeat(24), VIGIL_ACCESS_LOG: 'true' });
    expect(message).toContain('VIGIL_METRICS_KEY: a Worker has no /metrics');
    expect(message).toContain('VIGIL_ACCESS_LOG: Cloudflare logs every request');
  });

  it('takes a well-formed VIGIL_BOOTSTRAP_KEY and refuses another without quoting it', () => {
    const key = 'vgl_0123456789abcdefghijABCDEF';
    expect(loadWorkerConfig({ ...bindings, VIGIL_BOOTSTRAP_KEY: key }).bootstrapKey).toBe(key);
    const message = problem({ VIGIL_BOOTSTRAP_KEY: 'secret-but-wrong' });
    expect(message).toContain('VIGIL_BOOTSTRAP_KEY: expected "vgl_"');
    expect(message).not.toContain('secret-but-wrong');
  });

  it('runs the clock on alarms unless VIGIL_CLOCK_ALARMS is false, and refuses other values', () => {
    expect(loadWorkerConfig(bindings).clockAlarms).toBe(true);
    expect(loadWorkerConfig({ ...bindings, VIGIL_CLOCK_ALARMS: false }).clockAlarms).toBe(false);
    expect(loadWorkerConfig({ ...bindings, VIGIL_CLOCK_ALARMS: 'no' }).clockAlarms).toBe(false);
    expect(problem({ VIGIL_CLOCK_ALARMS: 'sometimes' })).toContain(
      'VIGIL_CLOCK_ALARMS: expected true or false (got "sometimes")',
    );
  });

  it('reads VIGIL_SECRET_KEY as a Worker secret, refuses a malformed one without quoting it, and has no _FILE', () => {
    const key = 'q9n3d0V1hVZ8m2r5yJ4kWcXbT7sLpA6uE1fGiHoRzN0=';
    expect(loadWorkerConfig({ ...bindings, VIGIL_SECRET_KEY: key }).secretKey).toHaveLength(32);
    expect(loadWorkerConfig(bindings).secretKey).toBeNull();
    const message = problem({ VIGIL_SECRET_KEY: 'not-a-key-but-secret' });
    expect(message).toContain('VIGIL_SECRET_KEY: expected 32 random bytes');
    expect(message).not.toContain('not-a-key-but-secret');
    expect(problem({ VIGIL_SECRET_KEY_FILE: '/run/secrets/key' })).toContain(
      'VIGIL_SECRET_KEY_FILE: Workers have no files; set VIGIL_SECRET_KEY as a secret',
    );
  });

  it('checks the admin settings as on Node', () => {
    expect(problem({ VIGIL_ADMIN_EMAIL: 'admin@example.com' })).toContain(
      'VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD go together',
    );
  });
});
