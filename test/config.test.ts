import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactDatabaseUrl } from '../src/config.ts';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      databaseUrl: 'sqlite:./data/vigil.db',
      sqlitePath: './data/vigil.db',
      host: '127.0.0.1',
      port: 8080,
      baseUrl: 'http://127.0.0.1:8080',
      pingBodyLimit: 100 * 1024,
      pingRetention: 1000,
      auditRetentionDays: 365,
      trustProxy: false,
    });
    expect(loadConfig({ VIGIL_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  });

  it('reads sizes with units and booleans in words', () => {
    const c = loadConfig({ VIGIL_PING_BODY_LIMIT: '1mb', VIGIL_TRUST_PROXY: 'yes', VIGIL_PORT: '9000' });
    expect(c.pingBodyLimit).toBe(1024 * 1024);
    expect(c.trustProxy).toBe(true);
    expect(c.port).toBe(9000);
  });

  it('strips a trailing slash from the base URL', () => {
    expect(loadConfig({ VIGIL_BASE_URL: 'https://vigil.example.com/' }).baseUrl).toBe(
      'https://vigil.example.com',
    );
  });

  it.each([
    ['VIGIL_PORT', 'abc'],
    ['VIGIL_PORT', '70000'],
    ['VIGIL_PING_BODY_LIMIT', 'lots'],
    ['VIGIL_PING_RETENTION', '0'],
    ['VIGIL_AUDIT_RETENTION_DAYS', '0'],
    ['VIGIL_BASE_URL', 'ftp://x'],
    ['VIGIL_TRUST_PROXY', 'maybe'],
    ['VIGIL_DATABASE_URL', 'mysql://x'],
    ['VIGIL_DATABASE_URL', 'sqlite:'],
    ['VIGIL_LOG_LEVEL', 'loud'],
    ['VIGIL_NODE_ID', 'node one'],
    ['VIGIL_NODE_ID', 'x'.repeat(65)],
    ['VIGIL_DB_POOL_SIZE', '0'],
    ['VIGIL_DB_POOL_SIZE', 'many'],
  ])('stops with a message naming %s when it is %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`${name}: .*got "${value.replace(/[/.]/g, '\\$&')}"`),
    );
  });

  it.each(['postgres://vigil:pw@db:5432/vigil', 'postgresql://db/vigil'])(
    'accepts the PostgreSQL URL %s',
    (url) => {
      const config = loadConfig({ VIGIL_DATABASE_URL: url });
      expect(config.databaseUrl).toBe(url);
      expect(config.sqlitePath).toBeNull();
    },
  );

  it('never quotes a database password in its messages', () => {
    expect(redactDatabaseUrl('postgres://vigil:s3cret@db/vigil')).toBe('postgres://vigil:***@db/vigil');
    let message = '';
    try {
      loadConfig({ VIGIL_DATABASE_URL: 'postgres://vigil:s3cret@db:99999/vigil' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('VIGIL_DATABASE_URL');
    expect(message).not.toContain('s3cret');
  });

  it('reads NAME_FILE variants from the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    try {
      writeFileSync(join(dir, 'url'), 'sqlite:/tmp/from-file.db\n');
      expect(loadConfig({ VIGIL_DATABASE_URL_FILE: join(dir, 'url') }).sqlitePath).toBe('/tmp/from-file.db');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses both NAME and NAME_FILE, and a missing file', () => {
    expect(() => loadConfig({ VIGIL_PORT: '1', VIGIL_PORT_FILE: '/nonexistent' })).toThrow(/both set/);
    expect(() => loadConfig({ VIGIL_PORT_FILE: '/nonexistent/port' })).toThrow(
      /VIGIL_PORT_FILE: cannot read/,
    );
  });

  it("allows private delivery targets under the issue's name and the earlier one", () => {
    expect(loadConfig({}).allowPrivateTargets).toBe(false);
    expect(loadConfig({ VIGIL_ALLOW_PRIVATE_URLS: '1' }).allowPrivateTargets).toBe(true);
    expect(loadConfig({ VIGIL_ALLOW_PRIVATE_TARGETS: 'true' }).allowPrivateTargets).toBe(true);
  });

  it('has no SMTP server unless VIGIL_SMTP_HOST is set', () => {
    expect(loadConfig({}).smtp).toBeNull();
  });

  it('reads SMTP settings with defaults: port 587 with STARTTLS, or 465 with TLS', () => {
    const c = loadConfig({
      VIGIL_SMTP_HOST: 'smtp.example.com',
      VIGIL_BASE_URL: 'https://vigil.example.com',
    });
    expect(c.smtp).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTls: false,
      rejectUnauthorized: true,
      from: 'vigil@vigil.example.com',
      timeoutMs: 10_000,
    });
    const tls = loadConfig({
      VIGIL_SMTP_HOST: 'smtp.example.com',
      VIGIL_SMTP_PORT: '465',
      VIGIL_SMTP_USER: 'alerts',
      VIGIL_SMTP_PASSWORD: 'pw',
      VIGIL_SMTP_FROM: 'vigil <alerts@example.com>',
      VIGIL_SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
    }).smtp;
    expect(tls).toMatchObject({
      port: 465,
      secure: true,
      user: 'alerts',
      password: 'pw',
      from: 'vigil <alerts@example.com>',
      rejectUnauthorized: false,
    });
  });

  it('refuses SMTP settings that cannot work, naming the variable', () => {
    expect(() => loadConfig({ VIGIL_SMTP_USER: 'a' })).toThrow(
      /VIGIL_SMTP_USER is set but VIGIL_SMTP_HOST is not/,
    );
    expect(() => loadConfig({ VIGIL_SMTP_HOST: 'h', VIGIL_SMTP_USER: 'a' })).toThrow(
      /VIGIL_SMTP_USER and VIGIL_SMTP_PASSWORD go together/,
    );
    expect(() => loadConfig({ VIGIL_SMTP_HOST: 'h', VIGIL_SMTP_FROM: 'not an address' })).toThrow(
      /VIGIL_SMTP_FROM/,
    );
    expect(() => loadConfig({ VIGIL_SMTP_HOST: 'h', VIGIL_SMTP_PORT: '99999' })).toThrow(/VIGIL_SMTP_PORT/);
  });

  it('names each node after its host and process unless told, and takes a stable name when told', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.nodeId).toMatch(/^[A-Za-z0-9.-]+-\d+-[0-9a-f]{6}$/);
    expect(a.nodeId).toContain(`-${process.pid}-`);
    // two processes on one host (or one process asked twice) are still two nodes
    expect(b.nodeId).not.toBe(a.nodeId);
    expect(loadConfig({ VIGIL_NODE_ID: ' vigil-2.eu_west ' }).nodeId).toBe('vigil-2.eu_west');
  });

  it('sizes the PostgreSQL pool at 10 connections per node unless told', () => {
    expect(loadConfig({}).dbPoolSize).toBe(10);
    expect(loadConfig({ VIGIL_DB_POOL_SIZE: '25' }).dbPoolSize).toBe(25);
  });

  it('tells the oldest project about database trouble unless VIGIL_OPERATOR_PROJECT names one', () => {
    expect(loadConfig({}).operatorProject).toBeNull();
    expect(loadConfig({ VIGIL_OPERATOR_PROJECT: ' ops ' }).operatorProject).toBe('ops');
  });

  it('serves no /metrics and logs no requests unless told', () => {
    expect(loadConfig({}).metrics).toEqual({ key: null, port: null, host: '127.0.0.1' });
    expect(loadConfig({}).accessLog).toBe(false);
    expect(loadConfig({ VIGIL_ACCESS_LOG: 'true' }).accessLog).toBe(true);
    const key = 'k'.repeat(24);
    expect(loadConfig({ VIGIL_METRICS_KEY: key }).metrics).toEqual({ key, port: null, host: '127.0.0.1' });
    expect(loadConfig({ VIGIL_METRICS_PORT: '9464', VIGIL_METRICS_HOST: '10.0.0.5' }).metrics).toEqual({
      key: null,
      port: 9464,
      host: '10.0.0.5',
    });
  });

  it('refuses metrics settings that cannot work, never quoting the key', () => {
    const short = 'tooshort-secret';
    expect(() => loadConfig({ VIGIL_METRICS_KEY: short })).toThrow(/VIGIL_METRICS_KEY: expected 16-200/);
    expect(() => loadConfig({ VIGIL_METRICS_KEY: short })).not.toThrow(new RegExp(short));
    expect(() => loadConfig({ VIGIL_METRICS_KEY: 'has a space in the key' })).toThrow(/without spaces/);
    expect(() => loadConfig({ VIGIL_METRICS_HOST: '0.0.0.0' })).toThrow(/VIGIL_METRICS_PORT is not/);
    expect(() => loadConfig({ VIGIL_PORT: '9000', VIGIL_METRICS_PORT: '9000' })).toThrow(
      /a port of their own/,
    );
    expect(() => loadConfig({ VIGIL_METRICS_PORT: '70000' })).toThrow(/VIGIL_METRICS_PORT/);
  });
});
