// SqliteTx's SQL on Cloudflare D1. D1 is SQLite behind a binding: each statement is a round
// trip, and the only transaction it offers is a batch of statements sent together. So a port
// runs statements at once (autocommit), or queues the writes of a transaction and sends them
// as one batch at commit. Reads in a transaction still run at once and see what is committed.
import type { Row } from '../rows.ts';
import type { SqlPort, WriteResult } from '../sqlite/sql-port.ts';
import type { D1Database, D1PreparedStatement, D1Value } from './d1-types.ts';

/**
 * The guard a queued write's expected row count becomes: it inserts `changes() = expect`
 * into a table that only takes 1 (see migrations/d1/0001_initial.sql), so a write that
 * changed other than what the caller relied on fails the CHECK and the batch rolls back.
 */
export const CONFLICT_CONSTRAINT = 'd1_conflict';
const GUARD = 'INSERT INTO d1_guard (ok) SELECT changes() = ?';
const CLEAR_GUARD = 'DELETE FROM d1_guard';
const NEXT_ID = 'UPDATE d1_ids SET next = next + 1 WHERE name = ? RETURNING next - 1 AS id';

/** What D1 says of a failure: its message and its cause's (the binding wraps the SQLite error). */
function errorText(err: unknown): string {
  return `${(err as Error | null)?.message ?? ''} ${String((err as { cause?: unknown } | null)?.cause ?? '')}`;
}

/** D1's error text carries SQLite's extended code; isUniqueViolation reads it from `code`. */
export function withSqliteCode(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const text = errorText(err);
  const code = /\(extended: (SQLITE_[A-Z_]+)\)/.exec(text)?.[1] ?? /: (SQLITE_[A-Z_]+)\b/.exec(text)?.[1];
  if (code && (err as { code?: unknown }).code === undefined) {
    Object.defineProperty(err, 'code', { value: code, enumerable: true });
  }
  return err;
}

/** Whether a batch failed on a guard: another writer changed a row this transaction relied on. */
export function isGuardFailure(err: unknown): boolean {
  return errorText(err).includes(CONFLICT_CONSTRAINT);
}

function bind(db: D1Database, sql: string, params: unknown[]): D1PreparedStatement {
  const statement = db.prepare(sql);
  if (params.length === 0) return statement;
  return statement.bind(
    ...params.map((v): D1Value => {
      if (v === undefined) return null;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      return v as D1Value;
    }),
  );
}

async function d1<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw withSqliteCode(err);
  }
}

export class D1Port implements SqlPort {
  /** the writes of an open transaction, in order; null when statements run at once */
  readonly #queue: D1PreparedStatement[] | null;
  #guarded = false;

  constructor(
    private readonly db: D1Database,
    transaction: boolean,
  ) {
    this.#queue = transaction ? [] : null;
  }

  async all(sql: string, params: unknown[]): Promise<Row[]> {
    return (await d1(bind(this.db, sql, params).all<Row>())).results;
  }
  values(sql: string, params: unknown[]): Promise<unknown[][]> {
    return d1(bind(this.db, sql, params).raw<unknown[]>());
  }
  async run(sql: string, params: unknown[], expect?: number): Promise<WriteResult> {
    const statement = bind(this.db, sql, params);
    if (this.#queue === null) {
      const { meta } = await d1(statement.run());
      return { changes: meta.changes, lastId: meta.last_row_id };
    }
    this.#queue.push(statement);
    if (expect !== undefined) {
      this.#queue.push(bind(this.db, GUARD, [expect]));
      this.#guarded = true;
    }
    // Not run yet: the count is the one the caller relies on (checked at commit), and nothing
    // in a transaction reads an INSERT's rowid (ids it needs come from newId).
    return { changes: expect ?? 1, lastId: 0 };
  }
  async runEach(sql: string, rows: unknown[][]): Promise<void> {
    for (const row of rows) await this.run(sql, row);
  }
  // A claim runs at once, in a transaction too (it cannot wait for the batch: its rows are
  // its answer). It is a lease, so if the transaction then fails the claim just runs out.
  claim(sql: string, params: unknown[]): Promise<Row[]> {
    return this.all(sql, params);
  }
  claimValues(sql: string, params: unknown[]): Promise<unknown[][]> {
    return this.values(sql, params);
  }
  /** Ids come from a counter row, taken at once: unique whether or not the batch commits. */
  async newId(table: 'flips' | 'incidents'): Promise<number> {
    const rows = await this.all(NEXT_ID, [table]);
    const id = rows[0]?.id;
    if (id === undefined || id === null) throw new Error(`d1_ids has no counter for ${table}`);
    return Number(id);
  }

  /** Sends the queued writes as one batch. Throws (and nothing is written) if any fails. */
  async commit(): Promise<void> {
    const queue = this.#queue;
    if (queue === null || queue.length === 0) return;
    if (this.#guarded) queue.push(this.db.prepare(CLEAR_GUARD));
    await d1(this.db.batch(queue));
  }
}
