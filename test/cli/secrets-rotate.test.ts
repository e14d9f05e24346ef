// `vigil secrets rotate`: a new key for the channel and source secrets, on a real SQLite file
// and a real PostgreSQL database. What the database holds is read raw, around vigil; a store
// opened afterwards as the server opens it reads every secret with the new key and refuses the
// old one; the key file, the audit log and the refusals are checked as an operator meets them.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ALIVE_KEY } from '../../src/scheduler/detect-missed.ts';
import { nodeSecretBox } from '../../src/secrets/key-file.ts';
import { SecretBox, SecretKeyError } from '../../src/secrets/secret-box.ts';
import { decodeSecretKey } from '../../src/secrets/secret-key.ts';
import { openStore } from '../../src/store/open-store.ts';
import { openPgCluster } from '../../src/store/postgres/pg-notify.ts';
import type { Channel, Project, Source } from '../../src/store/store.ts';
import { tempDir } from '../e2e/server-process.ts';
import {
  freshPostgresDatabase,
  makeChannel,
  makeProject,
  makeSource,
  postgresAvailable,
} from '../store/fixtures.ts';
import { vigilIn } from './job-server.ts';

const TOKEN = 'xoxb-cli-rotation-token-3e9a';
const DB_PASSWORD = 'pg-password-cli-rotation-77f1';

const tmp = tempDir('vigil-rotate-');
afterAll(() => tmp.remove());

type Env = Record<string, string>;

interface Seeded {
  env: Env;
  project: Project;
  channels: Channel[];
  source: Source;
  /** the key the secrets are sealed with before the rotation */
  oldKey: SecretBox;
}

/** A first start's database: the key read (or made) as vigil serve does, and a project with secrets. */
async function seed(env: Env): Promise<Seeded> {
  const config = loadConfig(env);
  const oldKey = nodeSecretBox(config, () => {});
  const store = await openStore(config, { secrets: oldKey });
  try {
    const project = makeProject();
    await store.insertProject(project);
    const channels = [
      makeChannel(project.id, { kind: 'slack', config: { url: 'https://hooks.example/x', token: TOKEN } }),
      makeChannel(project.id),
    ];
    for (const c of channels) await store.insertChannel(c);
    const source = makeSource(project.id, { config: { url: `postgres://m:${DB_PASSWORD}@db.internal/app` } });
    await store.insertSource(source);
    return { env, project, channels, source, oldKey };
  } finally {
    await store.close();
  }
}

/** Opens the database as the server does with `env`'s key, and reads every secret back. */
async function expectServerReads(s: Seeded, env: Env = s.env): Promise<void> {
  const config = loadConfig(env);
  const store = await openStore(config, { secrets: nodeSecretBox(config, () => {}) });
  try {
    for (const c of s.channels) expect(await store.getChannel(c.id)).toEqual(c);
    expect(await store.getSource(s.source.id)).toEqual(s.source);
  } finally {
    await store.close();
  }
}

/** Opening with `key` as the server does fails: the secrets are sealed with another. */
async function expectRefused(env: Env, key: SecretBox, sealedWith: string): Promise<void> {
  const err = await openStore(loadConfig(env), { secrets: key }).catch((e: unknown) => e as Error);
  expect(err).toBeInstanceOf(SecretKeyError);
  expect((err as Error).message).toContain(
    `does not decrypt the stored secrets; was the key changed? They were sealed with key ${sealedWith}, and this key is ${key.keyId}`,
  );
}

let n = 0;
function sqliteEnv(extra: Env = {}): Env & { dir: string } {
  const dir = join(tmp.dir, `db-${++n}`);
  return { dir, VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, USER: 'alice', ...extra };
}

function rawSqlite(dir: string, sql: string): Record<string, unknown>[] {
  const db = new Database(join(dir, 'vigil.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

const CONFIGS = 'SELECT config FROM channels UNION ALL SELECT config FROM sources';

function expectSealedWith(configs: string[], keyId: string): void {
  expect(configs).toHaveLength(3);
  for (const c of configs) expect(c.startsWith(`enc:v1:${keyId}:`), c.slice(0, 20)).toBe(true);
  expect(configs.join('\n')).not.toContain(TOKEN);
  expect(configs.join('\n')).not.toContain(DB_PASSWORD);
}

/** `env` with the key read from the file at `path` instead of VIGIL_SECRET_KEY */
function keyFileEnv(env: Env, path: string): Env {
  const { VIGIL_SECRET_KEY: _, ...rest } = env;
  return { ...rest, VIGIL_SECRET_KEY_FILE: path };
}

const mode = (path: string) => statSync(path).mode & 0o777;
const keyIn = (path: string) => new SecretBox(decodeSecretKey(readFileSync(path, 'utf8'))!);

describe('vigil secrets rotate on SQLite with the key file of the data directory', () => {
  it('re-seals every secret, replaces secret.key (0600) and keeps the old one beside it', async () => {
    const env = sqliteEnv();
    const s = await seed(env);
    const keyFile = join(env.dir, 'secret.key');
    const oldKeyText = readFileSync(keyFile, 'utf8');

    const run = await vigilIn(['secrets', 'rotate'], env);
    expect(run.code, run.err).toBe(0);
    const newKey = keyIn(keyFile);
    expect(run.out).toMatch(
      new RegExp(
        `^re-sealed 3 secrets \\(2 channels, 1 source\\) with a new key: key ${s.oldKey.keyId} → ${newKey.keyId}\n`,
      ),
    );
    expect(run.out).toContain(
      `the new key is in ${keyFile}; the old key is kept as ${keyFile}.before-rotate-`,
    );
    expect(run.out).toContain(`1. start vigil: it reads the new key from ${keyFile}`);
    // the key itself is never shown
    expect(run.out + run.err).not.toContain(readFileSync(keyFile, 'utf8').trim());

    expect(mode(keyFile)).toBe(0o600);
    const kept = readdirSync(env.dir).filter((f) => f.startsWith('secret.key.'));
    expect(kept).toEqual([expect.stringMatching(/^secret\.key\.before-rotate-\d{8}T\d{6}Z$/)]);
    expect(readFileSync(join(env.dir, kept[0]!), 'utf8')).toBe(oldKeyText);
    expect(mode(join(env.dir, kept[0]!))).toBe(0o600);

    expectSealedWith(
      rawSqlite(env.dir, CONFIGS).map((r) => String(r.config)),
      newKey.keyId,
    );
    expect(rawSqlite(env.dir, "SELECT value FROM meta WHERE key = 'secrets.key_id'")).toEqual([
      { value: newKey.keyId },
    ]);
    await expectServerReads(s);
    await expectRefused(env, s.oldKey, newKey.keyId);
  });

  it('records the rotation in the audit log, with the CLI user, the counts and key ids only', async () => {
    const env = sqliteEnv();
    const s = await seed(env);
    const other = makeProject();
    {
      const store = await openStore(loadConfig(env));
      await store.insertProject(other);
      await store.close();
    }
    const run = await vigilIn(['secrets', 'rotate', '--json'], env);
    expect(run.code, run.err).toBe(0);
    const result = JSON.parse(run.out) as Record<string, unknown>;
    expect(result).toMatchObject({
      resealed: 3,
      channels: 2,
      sources: 1,
      old_key_id: s.oldKey.keyId,
      new_key_file: join(env.dir, 'secret.key'),
    });
    const to = result.new_key_id as string;

    const store = await openStore(loadConfig(env));
    try {
      const [entry] = (await store.listAudit(s.project.id, { action: 'secrets.rotated' }, { limit: 10 }))
        .entries;
      expect(entry).toMatchObject({
        actorKind: 'cli',
        actorLabel: 'vigil CLI (alice)',
        action: 'secrets.rotated',
        targetKind: 'secrets',
        targetId: to,
        changes: { key_id: { from: s.oldKey.keyId, to }, channels: { to: 2 }, sources: { to: 1 } },
      });
      // every project's log has it, with its own count
      const [theirs] = (await store.listAudit(other.id, {}, { limit: 10 })).entries;
      expect(theirs?.changes).toEqual({
        key_id: { from: s.oldKey.keyId, to },
        channels: { to: 0 },
        sources: { to: 0 },
      });
      const key = readFileSync(join(env.dir, 'secret.key'), 'utf8').trim();
      expect(JSON.stringify([entry, theirs])).not.toContain(key);
    } finally {
      await store.close();
    }
  });

  it('refuses while a vigil serves the database, and changes nothing', async () => {
    const env = sqliteEnv();
    const s = await seed(env);
    const keyFile = join(env.dir, 'secret.key');
    const before = readFileSync(keyFile, 'utf8');
    // the test runner's parent is alive: to the lock, a vigil serving the file
    writeFileSync(join(env.dir, 'vigil.db.lock'), String(process.ppid));

    const run = await vigilIn(['secrets', 'rotate'], env);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      new RegExp(`cannot rotate now: another vigil \\(pid ${process.ppid}\\) is serving`),
    );
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
    expect(readdirSync(env.dir).filter((f) => f.startsWith('secret.key'))).toEqual(['secret.key']);
    expectSealedWith(
      rawSqlite(env.dir, CONFIGS).map((r) => String(r.config)),
      s.oldKey.keyId,
    );
  });

  it('refuses a missing key file instead of making one', async () => {
    const env = sqliteEnv();
    await seed(env);
    const keyFile = join(env.dir, 'secret.key');
    const text = readFileSync(keyFile, 'utf8');
    writeFileSync(join(env.dir, 'elsewhere.key'), text);
    const { rmSync } = await import('node:fs');
    rmSync(keyFile);
    const run = await vigilIn(['secrets', 'rotate'], env);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`there is no key file ${keyFile}, so no key to rotate from`);
    expect(readdirSync(env.dir).filter((f) => f.startsWith('secret.key'))).toEqual([]);
  });
});

describe('vigil secrets rotate with VIGIL_SECRET_KEY or VIGIL_SECRET_KEY_FILE', () => {
  it('requires --new-key-file, and changes nothing without it', async () => {
    const env = sqliteEnv({ VIGIL_SECRET_KEY: randomBytes(32).toString('base64') });
    const s = await seed(env);
    const run = await vigilIn(['secrets', 'rotate'], env);
    expect(run.code).toBe(2);
    expect(run.err).toContain(
      'the current key comes from VIGIL_SECRET_KEY, which vigil cannot change: name a new file for the new key with --new-key-file PATH',
    );
    expectSealedWith(
      rawSqlite(env.dir, CONFIGS).map((r) => String(r.config)),
      s.oldKey.keyId,
    );

    const keyPath = join(tmp.dir, `env-${n}.key`);
    writeFileSync(keyPath, env.VIGIL_SECRET_KEY!);
    const fromFile = keyFileEnv(env, keyPath);
    const again = await vigilIn(['secrets', 'rotate'], fromFile);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`the current key comes from VIGIL_SECRET_KEY_FILE (${keyPath})`);
    // and never writes over a file
    const taken = await vigilIn(['secrets', 'rotate', '--new-key-file', keyPath], fromFile);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain(`${keyPath} exists; name a new file for the new key`);
  });

  it('writes the new key to --new-key-file (0600) and says to point VIGIL_SECRET_KEY_FILE at it', async () => {
    const env = sqliteEnv({ VIGIL_SECRET_KEY: randomBytes(32).toString('hex') });
    const s = await seed(env);
    const newKeyFile = join(tmp.dir, `new-${n}.key`);
    const run = await vigilIn(['secrets', 'rotate', '--new-key-file', newKeyFile], env);
    expect(run.code, run.err).toBe(0);
    expect(mode(newKeyFile)).toBe(0o600);
    const newKey = keyIn(newKeyFile);
    expect(run.out).toContain(`key ${s.oldKey.keyId} → ${newKey.keyId}`);
    expect(run.out).toContain(`the new key is in ${newKeyFile}\n`);
    expect(run.out).toContain(`on every node, set VIGIL_SECRET_KEY_FILE=${newKeyFile}`);
    expect(run.out + run.err).not.toContain(readFileSync(newKeyFile, 'utf8').trim());
    // the data directory gets no key file of its own
    expect(readdirSync(env.dir).filter((f) => f.includes('key'))).toEqual([]);

    expectSealedWith(
      rawSqlite(env.dir, CONFIGS).map((r) => String(r.config)),
      newKey.keyId,
    );
    await expectServerReads(s, keyFileEnv(env, newKeyFile));
    await expectRefused(env, s.oldKey, newKey.keyId);
  });

  it('stops with exit 78 when the current key is not the one the secrets are sealed with', async () => {
    const env = sqliteEnv({ VIGIL_SECRET_KEY: randomBytes(32).toString('hex') });
    const s = await seed(env);
    const newKeyFile = join(tmp.dir, `never-${n}.key`);
    const wrong = { ...env, VIGIL_SECRET_KEY: randomBytes(32).toString('hex') };
    const run = await vigilIn(['secrets', 'rotate', '--new-key-file', newKeyFile], wrong);
    expect(run.code).toBe(78);
    expect(run.err).toMatch(
      /^vigil secrets: VIGIL_SECRET_KEY does not decrypt the stored secrets; was the key changed\?/,
    );
    expect(readdirSync(tmp.dir)).not.toContain(`never-${n}.key`);
    expectSealedWith(
      rawSqlite(env.dir, CONFIGS).map((r) => String(r.config)),
      s.oldKey.keyId,
    );
  });
});

describe.runIf(postgresAvailable)('vigil secrets rotate on PostgreSQL', () => {
  async function pgSeed(): Promise<Seeded & { drop(): Promise<void>; url: string }> {
    const { url, drop } = await freshPostgresDatabase();
    const s = await seed({
      VIGIL_DATABASE_URL: url,
      VIGIL_SECRET_KEY: randomBytes(32).toString('hex'),
      USER: 'bob',
    });
    return { ...s, url, drop };
  }

  async function rawConfigs(url: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ config: string }>(CONFIGS)).rows.map((r) => r.config);
    } finally {
      await client.end();
    }
  }

  it('re-seals every secret and says that every node needs the new key', async () => {
    const s = await pgSeed();
    try {
      const newKeyFile = join(tmp.dir, `pg-${++n}.key`);
      const run = await vigilIn(['secrets', 'rotate', '--new-key-file', newKeyFile], s.env);
      expect(run.code, run.err).toBe(0);
      const newKey = keyIn(newKeyFile);
      expect(run.out).toContain(
        `re-sealed 3 secrets (2 channels, 1 source) with a new key: key ${s.oldKey.keyId} → ${newKey.keyId}`,
      );
      expect(run.out).toContain('every node on this PostgreSQL database needs the new key');
      expectSealedWith(await rawConfigs(s.url), newKey.keyId);
      await expectServerReads(s, keyFileEnv(s.env, newKeyFile));
      await expectRefused(s.env, s.oldKey, newKey.keyId);
    } finally {
      await s.drop();
    }
  });

  it('refuses while a node is connected or its scheduler ran lately, unless --force', async () => {
    const s = await pgSeed();
    const node = await openPgCluster(s.url);
    try {
      const refused = await vigilIn(
        ['secrets', 'rotate', '--new-key-file', join(tmp.dir, `pg-${++n}.key`)],
        s.env,
      );
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(
        /cannot rotate now: vigil is running on .*\(a node connected \d+ s ago from /,
      );
      expect(refused.err).toContain(
        'Stop every node first: a node still running with the old key cannot open the re-sealed secrets',
      );
      expect(refused.err).not.toContain('password');
      expectSealedWith(await rawConfigs(s.url), s.oldKey.keyId);

      const forced = join(tmp.dir, `pg-${++n}.key`);
      const run = await vigilIn(['secrets', 'rotate', '--new-key-file', forced, '--force'], s.env);
      expect(run.code, run.err).toBe(0);
      expect(run.err).toContain('rotating although vigil seems to be running');
      expectSealedWith(await rawConfigs(s.url), keyIn(forced).keyId);
    } finally {
      await node.close();
      await s.drop();
    }
  });

  it('counts a sweep of the last seconds as a running node', async () => {
    const s = await pgSeed();
    try {
      const store = await openStore(loadConfig(s.env));
      await store.setMeta(ALIVE_KEY, String(Date.now() - 2000));
      await store.close();
      const run = await vigilIn(
        ['secrets', 'rotate', '--new-key-file', join(tmp.dir, `pg-${++n}.key`)],
        s.env,
      );
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/a node's scheduler ran [23] s ago/);
    } finally {
      await s.drop();
    }
  });
});
