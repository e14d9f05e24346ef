// The engines the secrets-at-rest specs run on (store-contract-secrets, -secret-rotation): one
// database each, opened as often as a spec likes, and read raw beside the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import type { SecretBox } from '../../src/secrets/secret-box.ts';
import { openD1Store } from '../../src/store/d1/d1-store.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshD1 } from '../helpers/d1.ts';
import { freshPostgresDatabase, postgresAvailable } from './fixtures.ts';

/** One database, opened as often as a spec likes, and read raw beside the store. */
export interface SecretsDatabase {
  /** SQLite: the directory of the file */
  dir?: string;
  open(secrets?: SecretBox): Promise<Store>;
  /** rows of a raw query; `?` placeholders */
  raw(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export interface SecretsEngine {
  engine: string;
  /**
   * whether two stores run transactions at once, as two nodes would: PostgreSQL only (one
   * process holds a SQLite file, and one Worker has one key)
   */
  concurrent: boolean;
  make(): Promise<SecretsDatabase>;
}

export const sqlite: SecretsEngine = {
  engine: 'sqlite',
  concurrent: false,
  async make() {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-secrets-'));
    const path = join(dir, 'vigil.db');
    return {
      dir,
      open: (secrets) => openSqliteStore(path, { secrets }),
      async raw(sql, ...params) {
        const db = new Database(path, { readonly: !/^\s*(update|insert|delete)/i.test(sql) });
        try {
          const statement = db.prepare(sql);
          if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
          statement.run(...params);
          return [];
        } finally {
          db.close();
        }
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const d1: SecretsEngine = {
  engine: 'd1',
  concurrent: false,
  async make() {
    const db = await freshD1();
    return {
      open: (secrets) => openD1Store(db, { secrets }),
      async raw(sql, ...params) {
        const statement = params.length > 0 ? db.prepare(sql).bind(...(params as string[])) : db.prepare(sql);
        return (await statement.all<Record<string, unknown>>()).results;
      },
      async dispose() {},
    };
  },
};

const postgres: SecretsEngine = {
  engine: 'postgres',
  concurrent: true,
  async make() {
    const { url, drop } = await freshPostgresDatabase();
    return {
      open: (secrets) => openPostgresStore(url, { max: 2, secrets }),
      async raw(sql, ...params) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          let n = 0;
          return (
            await client.query(
              sql.replace(/\?/g, () => `$${++n}`),
              params,
            )
          ).rows;
        } finally {
          await client.end();
        }
      },
      dispose: drop,
    };
  },
};

/** every engine this machine can run (PostgreSQL where a server answers) */
export const SECRET_ENGINES = [sqlite, d1, ...(postgresAvailable ? [postgres] : [])];

/**
 * For the tests of the calling describe: a fresh database of `engine` each, read raw through
 * the object returned, whose `open` stores are closed after the test (and the database removed).
 */
export function databasePerTest(engine: SecretsEngine): Omit<SecretsDatabase, 'dispose'> {
  let current: SecretsDatabase | undefined;
  const opened: Store[] = [];
  beforeEach(async () => {
    current = await engine.make();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await current?.dispose();
    current = undefined;
  });
  const db = () => {
    if (!current) throw new Error('the database exists only while a test runs');
    return current;
  };
  return {
    get dir() {
      return db().dir;
    },
    async open(secrets) {
      const store = await db().open(secrets);
      opened.push(store);
      return store;
    },
    raw: (sql, ...params) => db().raw(sql, ...params),
  };
}
