// Channel and source secrets at rest, on every engine: what the database holds is sealed (read
// here with raw SQL, around the store), the store reads back what was written, a start seals
// what an older version left plain, and a wrong key or none stops the start with the fix.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SecretBox, SecretKeyError } from '../../src/secrets/secret-box.ts';
import { betterSqlitePort } from '../../src/store/sqlite/sql-port.ts';
import { sqliteSecretRows } from '../../src/store/sqlite/sqlite-secrets.ts';
import type { Store } from '../../src/store/store.ts';
import { sealStoredSecrets } from '../../src/store/stored-secrets.ts';
import { makeChannel, makeProject, makeSource } from './fixtures.ts';
import { databasePerTest, SECRET_ENGINES, sqlite } from './secret-engines.ts';

const TOKEN = 'xoxb-very-secret-token-7f3a9c';
const HOOK = 'https://hooks.slack.com/services/T000/B000/Zq8sLmNoPqRsTuVw';
const DB_PASSWORD = 'pg-password-4b1d';

describe.each(SECRET_ENGINES)('secrets at rest on $engine', (engine) => {
  const db = databasePerTest(engine);
  const open = db.open;
  const keyA = new SecretBox(randomBytes(32));
  const keyB = new SecretBox(randomBytes(32));

  /** a project with a Slack channel (token in its config) and a pg_cron source (password in its URL) */
  async function seed(store: Store) {
    const project = makeProject();
    await store.insertProject(project);
    const channel = makeChannel(project.id, {
      kind: 'slack',
      config: { url: HOOK, token: TOKEN, headers: { Authorization: `Bearer ${TOKEN}` } },
    });
    const source = makeSource(project.id, {
      config: { url: `postgres://monitor:${DB_PASSWORD}@db.internal:5432/app` },
    });
    await store.insertChannel(channel);
    await store.insertSource(source);
    return { project, channel, source };
  }

  /** every stored config, as the database holds it */
  async function storedConfigs(): Promise<string[]> {
    const rows = await db.raw(
      "SELECT config FROM channels UNION ALL SELECT config FROM sources UNION ALL SELECT value FROM meta WHERE key LIKE 'secrets.%'",
    );
    return rows.map((r) => String(r.config));
  }

  function expectNoSecretIn(stored: string[]) {
    const all = stored.join('\n');
    for (const secret of [TOKEN, HOOK, 'hooks.slack.com', DB_PASSWORD, 'db.internal']) {
      expect(all).not.toContain(secret);
    }
  }

  it('stores channel and source configs sealed, with no secret in the raw columns, and reads them back whole', async () => {
    const store = await open(keyA);
    const { project, channel, source } = await seed(store);
    const stored = await storedConfigs();
    expect(stored.filter((s) => s.startsWith(`enc:v1:${keyA.keyId}:`))).toHaveLength(2);
    expectNoSecretIn(stored);

    expect(await store.getChannel(channel.id)).toEqual(channel);
    expect(await store.listChannels(project.id)).toEqual([channel]);
    expect(await store.getSource(source.id)).toEqual(source);
    expect(await store.getSourceByName(project.id, source.name)).toEqual(source);
    expect(await store.listSources(project.id)).toEqual([source]);

    // an update seals the new config afresh
    const changed = {
      ...channel,
      config: { url: `${HOOK}-2`, token: `${TOKEN}-2` },
      updatedAt: channel.updatedAt + 1,
    };
    await store.updateChannel(changed);
    await store.updateSource({
      ...source,
      config: { url: `postgres://monitor:${DB_PASSWORD}-2@db.internal/app` },
    });
    expectNoSecretIn(await storedConfigs());
    expect(await store.getChannel(channel.id)).toEqual(changed);
    expect((await store.getSource(source.id))?.config).toEqual({
      url: `postgres://monitor:${DB_PASSWORD}-2@db.internal/app`,
    });
    // a claimed source comes back opened too
    expect(
      (await store.claimDueSources(source.nextSyncAt, source.nextSyncAt + 60_000, 10))[0]?.config,
    ).toEqual({
      url: `postgres://monitor:${DB_PASSWORD}-2@db.internal/app`,
    });
  });

  it('seals on start what an older version stored plain, and reads it the same before and after', async () => {
    const old = await open();
    const { channel, source } = await seed(old);
    // stored plain, as before this version
    expect((await storedConfigs()).join('\n')).toContain(TOKEN);

    const store = await open(keyA);
    expect(await store.getChannel(channel.id)).toEqual(channel);
    expect(await store.sealSecrets()).toBe(2);
    expectNoSecretIn(await storedConfigs());
    expect(await store.getChannel(channel.id)).toEqual(channel);
    expect(await store.getSource(source.id)).toEqual(source);
    // the next start finds nothing left to seal
    expect(await store.sealSecrets()).toBe(0);
  });

  it('refuses to start with another key, saying the key was changed', async () => {
    const store = await open(keyA);
    const { channel } = await seed(store);
    await store.sealSecrets();

    const other = await open(keyB);
    const err = await other.sealSecrets().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SecretKeyError);
    expect((err as Error).message).toMatch(
      /^VIGIL_SECRET_KEY does not decrypt the stored secrets; was the key changed\?/,
    );
    expect((err as Error).message).toContain(`sealed with key ${keyA.keyId}`);
    // a read with it fails the same way rather than returning garbage
    await expect(other.getChannel(channel.id)).rejects.toThrow(/was the key changed/);
    // and the right key still reads everything
    expect(await store.getChannel(channel.id)).toEqual(channel);
  });

  it('refuses another key even before any secret is sealed (the key id is recorded on the first start)', async () => {
    expect(await (await open(keyA)).sealSecrets()).toBe(0);
    await expect((await open(keyB)).sealSecrets()).rejects.toThrow(/was the key changed/);
    expect(await (await open(keyA)).sealSecrets()).toBe(0);
  });

  it('refuses to start without a key once secrets are sealed', async () => {
    await seed(await open(keyA));
    await expect((await open()).sealSecrets()).rejects.toThrow(
      new RegExp(`sealed \\(with key ${keyA.keyId}\\), but VIGIL_SECRET_KEY is not set`),
    );
  });

  it('does not open a sealed config copied into another channel', async () => {
    const store = await open(keyA);
    const { project, channel } = await seed(store);
    const victim = makeChannel(project.id);
    await store.insertChannel(victim);
    const [row] = await db.raw('SELECT config FROM channels WHERE id = ?', channel.id);
    await db.raw('UPDATE channels SET config = ? WHERE id = ?', String(row!.config), victim.id);
    await expect(store.getChannel(victim.id)).rejects.toThrow(/changed or damaged/);
  });

  it.runIf(engine.concurrent)(
    'lets only one of two nodes with different keys start on an empty database',
    async () => {
      const [a, b] = [await open(keyA), await open(keyB)];
      const results = await Promise.allSettled([a.sealSecrets(), b.sealSecrets()]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    },
  );
});

describe('secrets at rest on a SQLite file that refuses writes', () => {
  it('proves the key and starts when everything is sealed already, writing nothing', async () => {
    const db = await sqlite.make();
    const key = new SecretBox(randomBytes(32));
    try {
      const store = await db.open(key);
      const project = makeProject();
      await store.insertProject(project);
      await store.insertChannel(makeChannel(project.id, { config: { url: HOOK } }));
      expect(await store.sealSecrets()).toBe(0);
      await store.close();

      // as vigil's own connection sees a read-only file: every write refused
      const path = join(db.dir!, 'vigil.db');
      const readOnly = new Database(path, { readonly: true });
      try {
        const port = betterSqlitePort(
          (sql) => readOnly.prepare(sql),
          () => {},
        );
        expect(await sealStoredSecrets(sqliteSecretRows(port), key)).toBe(0);
        await expect(
          sealStoredSecrets(sqliteSecretRows(port), new SecretBox(randomBytes(32))),
        ).rejects.toThrow(/was the key changed/);
      } finally {
        readOnly.close();
      }
    } finally {
      await db.dispose();
    }
  });
});
