// Plain rows for the storage specs, and the list of engines the Store contract runs on.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { defaultCheckConfig, newCheck } from '../../src/ingest/new-check.ts';
import { openD1Store } from '../../src/store/d1/d1-store.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type {
  ApiKey,
  Channel,
  Check,
  NewNotification,
  Ping,
  Project,
  Source,
  Store,
} from '../../src/store/store.ts';
import { freshD1 } from '../helpers/d1.ts';
import { TEST_SECRETS } from '../helpers/secrets.ts';

/** 2026-01-05T12:00:00Z */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 86_400_000;

export interface OpenedStore {
  store: Store;
  /** closes the store and removes what it left behind */
  dispose(): Promise<void>;
}

export interface StoreFactory {
  engine: string;
  open(): Promise<OpenedStore>;
}

const sqliteFactory: StoreFactory = {
  engine: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
    const store = await openSqliteStore(join(dir, 'vigil.db'), { secrets: TEST_SECRETS });
    return {
      store,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Cloudflare D1 in workerd (Miniflare): one database per test file, emptied for each store. */
const d1Factory: StoreFactory = {
  engine: 'd1',
  async open() {
    const store = await openD1Store(await freshD1(), { secrets: TEST_SECRETS });
    return { store, dispose: () => store.close() };
  },
};

/** The server the PostgreSQL specs make their databases on (one fresh database per open). */
const postgresUrl = process.env.VIGIL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs statements on the server's maintenance database, on a connection of its own. */
async function onServer(...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the test server. Commits skip the disk flush: test data. */
function databaseUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  url.searchParams.set('options', '-c synchronous_commit=off');
  return url.toString();
}

/**
 * A migrated database to copy each spec's database from: copying skips running the migrations
 * (about 300 ms of the 600 ms a fresh database took). It is named by a hash of the migrations'
 * source, so a changed migration builds a new one; it is built under another name and renamed
 * when complete, under an advisory lock, so parallel test files neither race nor copy half.
 */
let template: Promise<string> | undefined;
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = new URL('../../src/store/migrations/', import.meta.url);
    const hash = createHash('sha256');
    for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(new URL(file, dir)));
    const name = `vigil_test_template_${hash.digest('hex').slice(0, 12)}`;
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext('vigil_test_template'))");
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${building}`);
        const store = await openPostgresStore(databaseUrl(building), { max: 1 });
        await store.close();
        await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      }
    } finally {
      await client.end();
    }
    return name;
  })();
  return template;
}

const postgresFactory: StoreFactory = {
  engine: 'postgres',
  async open() {
    const name = `vigil_test_${randomBytes(6).toString('hex')}`;
    await onServer(`CREATE DATABASE ${name} TEMPLATE ${await migratedTemplate()}`);
    let store: Store;
    try {
      // migrates nothing (the copy is current), but proves openPostgresStore finds it so
      store = await openPostgresStore(databaseUrl(name), { max: 4, secrets: TEST_SECRETS });
    } catch (err) {
      await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      throw err;
    }
    return {
      store,
      async dispose() {
        await store.close();
        await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  },
};

/** Whether the PostgreSQL server answers; when it must (VIGIL_REQUIRE_POSTGRES), throws if not. */
async function postgresReachable(): Promise<boolean> {
  try {
    await onServer('SELECT 1');
    return true;
  } catch (err) {
    const why = `PostgreSQL at ${redacted(postgresUrl)} is not reachable (${(err as Error).message})`;
    if (process.env.VIGIL_REQUIRE_POSTGRES) {
      throw new Error(`${why}; VIGIL_REQUIRE_POSTGRES is set, so the PostgreSQL store specs must run`);
    }
    console.warn(
      `\n${'!'.repeat(78)}\n!! ${why}.\n!! The Store contract runs on SQLite ONLY. Set VIGIL_TEST_POSTGRES_URL to run it on PostgreSQL too.\n${'!'.repeat(78)}\n`,
    );
    return false;
  }
}

function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Whether the PostgreSQL specs run (false only when the server is down and not required). */
export const postgresAvailable = await postgresReachable();

/** Every engine the Store contract runs on: SQLite and D1 always, PostgreSQL when a server answers. */
export const storeFactories: StoreFactory[] = [
  sqliteFactory,
  d1Factory,
  ...(postgresAvailable ? [postgresFactory] : []),
];

/**
 * A fresh, migrated PostgreSQL database by URL, for specs that need more than one Store on it
 * (several nodes, LISTEN connections, child processes). Only when postgresAvailable.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name} TEMPLATE ${await migratedTemplate()}`);
  return {
    url: databaseUrl(name),
    drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export function makeProject(overrides: Partial<Project> = {}): Project {
  const id = randomUUID();
  return {
    id,
    name: `project-${id.slice(0, 8)}`,
    pingKey: `pk-${id}`,
    silencePeriod: 3600,
    badgeKey: `bk-${id}`,
    createdAt: T0,
    ...overrides,
  };
}

export function makeApiKey(projectId: string, overrides: Partial<ApiKey> = {}): ApiKey {
  const id = randomUUID();
  return {
    id,
    projectId,
    name: 'key',
    prefix: `vgl_${id.slice(0, 8)}`,
    hash: `hash-${id}`,
    readOnly: false,
    createdAt: T0,
    ...overrides,
  };
}

/** A new interval check (60 s, grace 30 s) unless overridden. */
export function makeCheck(projectId: string, overrides: Partial<Check> = {}): Check {
  const slug = overrides.slug ?? `check-${randomUUID().slice(0, 8)}`;
  const base = newCheck(
    randomUUID(),
    projectId,
    { ...defaultCheckConfig(slug), schedule: { kind: 'interval', period: 60, grace: 30 } },
    T0,
  );
  return { ...base, ...overrides };
}

export function makeChannel(projectId: string, overrides: Partial<Channel> = {}): Channel {
  return {
    id: randomUUID(),
    projectId,
    kind: 'webhook',
    name: 'hook',
    config: { url: 'http://127.0.0.1:9/hook', secret: 's3cret' },
    events: ['down', 'up'],
    minSeverity: 'low',
    maxSeverity: 'critical',
    tags: [],
    brokenReason: null,
    brokenAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makePing(
  checkId: string,
  n: number,
  overrides: Partial<Omit<Ping, 'id'>> = {},
): Omit<Ping, 'id'> {
  return {
    checkId,
    n,
    at: T0 + n * SECOND,
    clientAt: null,
    kind: 'success',
    exitStatus: null,
    method: 'POST',
    source: '127.0.0.1',
    userAgent: 'curl/8',
    rid: null,
    durationMs: null,
    body: `ping ${n}`,
    truncated: false,
    ...overrides,
  };
}

export function makeNotification(
  check: Pick<Check, 'id' | 'projectId'>,
  flipId: number,
  channelId: string,
  overrides: Partial<NewNotification> = {},
): NewNotification {
  return {
    flipId,
    channelId,
    seq: 0,
    projectId: check.projectId,
    checkId: check.id,
    event: 'down',
    payload: JSON.stringify({ event: 'down', flip: { id: flipId } }),
    nextAttemptAt: T0,
    createdAt: T0,
    ...overrides,
  };
}

export function makeSource(projectId: string, overrides: Partial<Source> = {}): Source {
  return {
    id: randomUUID(),
    projectId,
    name: `db-${randomUUID().slice(0, 6)}`,
    kind: 'pg_cron',
    config: { url: 'postgres://monitor:secret@db.example:5432/app' },
    severity: 'important',
    tags: ['db'],
    syncInterval: 60,
    grace: 120,
    cursor: null,
    nextSyncAt: T0,
    lastSyncAt: null,
    lastSuccessAt: null,
    lastError: null,
    lastErrorAt: null,
    healthCheckId: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}
