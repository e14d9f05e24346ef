// The secret key as an operator meets it: the real `vigil serve` makes secret.key beside the
// database on its first start (0600, with a warning to back it up), uses it again on the next,
// seals channel secrets with it, and refuses to start with another key. And an older database
// gets its plain secrets sealed on its first start with this version.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { makeChannel, makeProject, makeSource } from '../store/fixtures.ts';
import { startVigil, tempDir, type VigilProcess } from './server-process.ts';

const TOKEN = 'T0KEN-in-the-hook-path-8d2f61';
const SIGNING = 'signing-secret-5e7a0c9b';

/** what the database file holds in the secret columns, read around vigil */
function storedConfigs(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare('SELECT config FROM channels UNION ALL SELECT config FROM sources').all();
    return rows.map((r) => (r as { config: string }).config).join('\n');
  } finally {
    db.close();
  }
}

describe('vigil serve and its secret key', () => {
  const tmp = tempDir('vigil-secrets-');
  const dbPath = join(tmp.dir, 'data', 'vigil.db');
  const keyPath = join(tmp.dir, 'data', 'secret.key');
  let vigil: VigilProcess | undefined;
  let channelId = '';
  let apiKey = '';
  afterAll(async () => {
    await vigil?.stop();
    tmp.remove();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${vigil!.url}/api/v1${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    });

  it('makes secret.key (mode 0600) on the first start, warns once to back it up, and seals channels with it', async () => {
    vigil = await startVigil({ dbPath, cwd: tmp.dir });
    apiKey = vigil.bootstrap!.key;
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const warnings = vigil.logs().filter((l) => l.msg.startsWith('made a new secret key'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect(warnings[0]!.msg).toContain(keyPath);
    expect(warnings[0]!.msg).toContain('Back it up with the database');

    const res = await api('/channels', {
      method: 'POST',
      body: JSON.stringify({
        kind: 'webhook',
        name: 'ops',
        config: { url: `http://127.0.0.1:9/hooks/${TOKEN}`, secret: SIGNING },
      }),
    });
    expect(res.status).toBe(201);
    channelId = ((await res.json()) as { id: string }).id;

    const stored = storedConfigs(dbPath);
    expect(stored).toMatch(/^enc:v1:/);
    expect(stored).not.toContain(TOKEN);
    expect(stored).not.toContain(SIGNING);
    // the key never reaches the logs
    expect(vigil.stdout() + vigil.stderr()).not.toContain(readFileSync(keyPath, 'utf8').trim());
  });

  it('uses the same key on the next start, without a warning, and reads the channel (masked) as before', async () => {
    await vigil!.kill('SIGTERM');
    const key = readFileSync(keyPath, 'utf8');
    vigil = await startVigil({ dbPath, cwd: tmp.dir });
    expect(readFileSync(keyPath, 'utf8')).toBe(key);
    expect(vigil.logs().filter((l) => l.msg.includes('secret key'))).toEqual([]);

    const res = await api(`/channels/${channelId}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as { config: { url: string; secret: string } };
    expect(view.config.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/••••/);
    expect(view.config.url).not.toContain(TOKEN);
    expect(view.config.secret).toBe('••••0c9b');
  });

  it('refuses to start with another VIGIL_SECRET_KEY, saying the key was changed', async () => {
    await vigil!.kill('SIGTERM');
    const other = randomBytes(32).toString('base64');
    const started = startVigil({ dbPath, cwd: tmp.dir, env: { VIGIL_SECRET_KEY: other } });
    const err = (await started.then(
      (p) => p.stop().then(() => new Error('it started')),
      (e: unknown) => e as Error,
    )) as Error;
    // exit code 78: a configuration error, with the message and no stack trace
    expect(err.message).toContain('vigil exited before listening (code 78');
    expect(err.message).toContain(
      'vigil serve: VIGIL_SECRET_KEY does not decrypt the stored secrets; was the key changed?',
    );
    expect(err.message).not.toContain(other);
    expect(err.message).not.toMatch(/\n\s+at /);
  });
});

describe('an older database on its first start with this version', () => {
  const tmp = tempDir('vigil-secrets-');
  afterAll(() => tmp.remove());

  it('seals the channel and source secrets it kept in plain text, and reads them the same', async () => {
    const dbPath = join(tmp.dir, 'vigil.db');
    // written the way vigil wrote them before it sealed secrets
    const old = await openSqliteStore(dbPath);
    const project = makeProject();
    await old.insertProject(project);
    const channel = makeChannel(project.id, {
      config: { url: `http://127.0.0.1:9/${TOKEN}`, secret: SIGNING },
    });
    const source = makeSource(project.id, { config: { url: `postgres://m:${SIGNING}@db:5432/app` } });
    await old.insertChannel(channel);
    await old.insertSource(source);
    await old.close();
    expect(storedConfigs(dbPath)).toContain(TOKEN);

    const server = await startServer(
      loadConfig({ VIGIL_DATABASE_URL: `sqlite:${dbPath}`, VIGIL_HOST: '127.0.0.1', VIGIL_PORT: '0' }),
      { logger: pino({ level: 'silent' }) },
    );
    try {
      const stored = storedConfigs(dbPath);
      expect(stored.split('\n').every((c) => c.startsWith('enc:v1:'))).toBe(true);
      expect(stored).not.toContain(TOKEN);
      expect(stored).not.toContain(SIGNING);
      expect(await server.store.getChannel(channel.id)).toEqual(channel);
      // (the source's own runner has moved its next sync on since)
      expect((await server.store.getSource(source.id))?.config).toEqual(source.config);
    } finally {
      await server.close();
    }
  });
});
