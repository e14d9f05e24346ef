// The Store on Cloudflare D1: SQLite, so it runs SqliteTx's SQL through a D1Port. What D1
// lacks is an interactive transaction. A transaction here reads at once (committed state) and
// queues its writes; at the end they go as one atomic batch, and every write whose row count
// the transaction relied on (a check's rev compare) carries a guard that fails the batch if
// another writer got there first. Then nothing was written, and the transaction runs again on
// fresh reads: optimistic concurrency instead of locks, so no request ever acts twice.

import type { SecretBox } from '../../secrets/secret-box.ts';
import { sqliteDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';
import { sqliteSecretRows } from '../sqlite/sqlite-secrets.ts';
import { SqliteTx } from '../sqlite/sqlite-tx.ts';
import { type Check, ConflictError, type FlipRow, type Incident, type Store, type Tx } from '../store.ts';
import {
  type RotatedSecrets,
  rotateStoredSecrets,
  rotationConflict,
  sealStoredSecrets,
} from '../stored-secrets.ts';
import { D1Port, isGuardFailure } from './d1-port.ts';
import type { D1Database } from './d1-types.ts';

/**
 * How often a transaction runs in all before its caller hears it kept losing races: with the
 * waits below, about a second of trying; a burst of pings to one check from many isolates
 * gets through, one after another.
 */
const MAX_ATTEMPTS = 8;

/**
 * A transaction on D1. Its writes wait for the batch, so a read after a write would not see
 * it; the reads the state machine makes after its own writes (the check it just changed, the
 * flip it just added, the incident it just opened or resolved) are answered from what this
 * transaction wrote. Other reads see committed rows only. (Outside a transaction the store is
 * a plain SqliteTx: each statement runs at once.)
 */
class D1Tx extends SqliteTx {
  /** checks written in this transaction, by id (null: deleted) */
  readonly #checks = new Map<string, Check | null>();
  /** each check's newest flip added in this transaction */
  readonly #flips = new Map<string, FlipRow>();
  /** each check's open incident as this transaction left it (null: resolved) */
  readonly #incidents = new Map<string, Incident | null>();
  /** which check an incident this transaction looked at belongs to */
  readonly #incidentChecks = new Map<number, string>();

  override async getCheck(id: string) {
    if (this.#checks.has(id)) return this.#checks.get(id) ?? null;
    return super.getCheck(id);
  }
  override async getCheckBySlug(projectId: string, slug: string) {
    for (const c of this.#checks.values()) {
      if (c !== null && c.projectId === projectId && c.slug === slug) return c;
    }
    const stored = await super.getCheckBySlug(projectId, slug);
    // a check this transaction renamed or deleted is no longer at that slug
    return stored !== null && this.#checks.has(stored.id) ? null : stored;
  }
  /** a sync reads its source's checks again after feeding them runs (commit-sync.ts catchUp) */
  override async listSourceChecks(sourceId: string) {
    const stored = await super.listSourceChecks(sourceId);
    if (this.#checks.size === 0) return stored;
    const mine = [...this.#checks.values()].filter((c): c is Check => c?.origin?.sourceId === sourceId);
    const written = new Set(this.#checks.keys());
    return [...stored.filter((c) => !written.has(c.id)), ...mine].sort((a, b) =>
      a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0,
    );
  }
  override async insertCheck(c: Check) {
    await super.insertCheck(c);
    this.#checks.set(c.id, c);
  }
  override async updateCheck(c: Check, expectedRev: number) {
    const ok = await super.updateCheck(c, expectedRev);
    this.#checks.set(c.id, c);
    return ok;
  }
  override async updateCheckState(c: Check, expectedRev: number) {
    const ok = await super.updateCheckState(c, expectedRev);
    this.#checks.set(c.id, c);
    return ok;
  }
  override async deleteCheck(id: string) {
    const deleted = await super.deleteCheck(id);
    this.#checks.set(id, null);
    return deleted;
  }

  override async insertFlip(f: Parameters<Tx['insertFlip']>[0]) {
    const id = await super.insertFlip(f);
    this.#flips.set(f.checkId, { event: null, alert: null, alertNote: null, releaseAt: null, ...f, id });
    return id;
  }
  override async lastFlip(checkId: string) {
    return this.#flips.get(checkId) ?? super.lastFlip(checkId);
  }
  override async setFlipAlert(
    id: number,
    alert: FlipRow['alert'] & string,
    note: string | null,
    at: number | null,
  ) {
    await super.setFlipAlert(id, alert, note, at);
    for (const [checkId, f] of this.#flips) {
      if (f.id === id) this.#flips.set(checkId, { ...f, alert, alertNote: note, releaseAt: at });
    }
  }

  override async insertIncident(i: Omit<Incident, 'id'>) {
    const id = await super.insertIncident(i);
    this.#incidents.set(i.checkId, { ...i, id });
    this.#incidentChecks.set(id, i.checkId);
    return id;
  }
  override async openIncident(checkId: string) {
    if (this.#incidents.has(checkId)) return this.#incidents.get(checkId) ?? null;
    const open = await super.openIncident(checkId);
    if (open !== null) this.#incidentChecks.set(open.id, checkId);
    return open;
  }
  override async resolveIncident(id: number, at: number) {
    await super.resolveIncident(id, at);
    const checkId = this.#incidentChecks.get(id);
    if (checkId !== undefined) this.#incidents.set(checkId, null);
  }
}

class D1Store extends SqliteTx implements Store {
  readonly engine = 'd1';

  constructor(
    private readonly db: D1Database,
    secrets: SecretBox | null,
  ) {
    super(new D1Port(db, false), secrets);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const port = new D1Port(this.db, true);
      const result = await fn(new D1Tx(port, this.secrets));
      try {
        await port.commit();
        return result;
      } catch (err) {
        if (!isGuardFailure(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) {
          throw new ConflictError(`the rows this transaction read kept changing (${attempt} attempts)`);
        }
        // full jitter over a doubling window (10, 20, … 640 ms): racing retries spread out
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** (attempt - 1)));
      }
    }
  }
  async sealSecrets(): Promise<number> {
    // one batch; isolates starting together all seal with the same key (one Worker, one
    // VIGIL_SECRET_KEY), and an UPDATE only seals a row still plain
    const port = new D1Port(this.db, true);
    const sealed = await sealStoredSecrets(sqliteSecretRows(port), this.secrets);
    await port.commit();
    return sealed;
  }
  async rotateSecrets(
    to: SecretBox,
    record?: (tx: Tx, rotated: RotatedSecrets) => Promise<void>,
  ): Promise<RotatedSecrets> {
    // one batch, run once: a row changed meanwhile fails its guard, and the rotation with it
    const port = new D1Port(this.db, true);
    const rotated = await rotateStoredSecrets(sqliteSecretRows(port), this.secrets, to);
    await record?.(new D1Tx(port, to), rotated);
    try {
      await port.commit();
    } catch (err) {
      throw isGuardFailure(err) ? rotationConflict('a channel or source') : err;
    }
    return rotated;
  }
  async ping(): Promise<void> {
    await this.db.prepare('SELECT 1').all();
  }
  async close(): Promise<void> {
    // the binding belongs to the runtime: nothing to close
  }
}

/** `001-initial` → `0001_initial`: the file names `wrangler d1 migrations` uses. */
export function d1MigrationName(name: string): string {
  const [, number, rest] = /^(\d+)-(.*)$/.exec(name) ?? [];
  if (number === undefined || rest === undefined) throw new Error(`unexpected migration name ${name}`);
  return `${number.padStart(4, '0')}_${rest.replace(/-/g, '_')}`;
}

/** The migration files the code expects applied, in order. */
export async function expectedD1Migrations(): Promise<string[]> {
  const migrations = await migrationProvider(sqliteDialect).getMigrations();
  return Object.keys(migrations).sort().map(d1MigrationName);
}

/**
 * Opens the store on a D1 binding. The schema is not migrated here: `wrangler d1 migrations
 * apply` does that before a deploy. This only checks it was, and says what to run if not.
 */
export async function openD1Store(
  db: D1Database,
  /** secrets: the key channel and source secrets are sealed with (none: stored plain) */
  options: { secrets?: SecretBox } = {},
): Promise<Store> {
  let applied: Set<string>;
  try {
    const { results } = await db.prepare('SELECT name FROM d1_migrations').all<{ name: string }>();
    applied = new Set(results.map((r) => r.name.replace(/\.sql$/, '')));
  } catch {
    applied = new Set();
  }
  const missing = (await expectedD1Migrations()).filter((name) => !applied.has(name));
  if (missing.length > 0) {
    throw new Error(
      `the D1 database is missing migrations ${missing.join(', ')}: run "npx wrangler d1 migrations apply <database> --remote" (see docs/deploy-workers.md)`,
    );
  }
  return new D1Store(db, options.secrets ?? null);
}
