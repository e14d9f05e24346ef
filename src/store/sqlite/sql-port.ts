// How SqliteTx reaches a SQLite database. Two engines speak SQLite: better-sqlite3 in this
// process (sqlite-store.ts), and Cloudflare D1 over its binding (../d1/d1-port.ts). They run
// the same SQL; what differs is only how a statement gets there and, inside a transaction,
// when it runs.
import type Database from 'better-sqlite3';
import type { Row } from '../rows.ts';

export interface WriteResult {
  /** rows the statement changed */
  changes: number;
  /** the rowid of the row an INSERT added */
  lastId: number;
}

export interface SqlPort {
  /** a read, rows as objects */
  all(sql: string, params: unknown[]): Promise<Row[]>;
  /** a read, rows as arrays of column values in select order (no object per row) */
  values(sql: string, params: unknown[]): Promise<unknown[][]>;
  /**
   * A write. D1 cannot hold a transaction open, so inside one it only queues the statement
   * and runs the whole queue as one atomic batch at commit: `expect` is then the row count the
   * caller relies on, checked at commit (the batch fails, and the transaction with it, when
   * another writer got there first), and it is what resolves here.
   */
  run(sql: string, params: unknown[], expect?: number): Promise<WriteResult>;
  /** One write run once for each row of values, in order (a batch's pings). */
  runEach(sql: string, rows: unknown[][]): Promise<void>;
  /**
   * A write that answers rows (UPDATE … RETURNING): the claims. On D1 it runs at once, even
   * inside a transaction: a claim is a lease, and one that outlives a failed transaction ends.
   */
  claim(sql: string, params: unknown[]): Promise<Row[]>;
  claimValues(sql: string, params: unknown[]): Promise<unknown[][]>;
  /**
   * The id a new row of an AUTOINCREMENT table is to get, or null to let the INSERT assign it
   * (then WriteResult.lastId tells it). D1 allocates ahead, because a queued INSERT has no id
   * until the batch runs and the transaction uses it before then (a flip's notifications).
   */
  newId(table: 'flips' | 'incidents'): Promise<number | null>;
}

/** Prepares a statement once and hands out the cached one after. */
export type Prepare = (sql: string) => Database.Statement;

/**
 * better-sqlite3: every statement runs when called (synchronously underneath), inside the
 * transaction the store's lock holds open, if any. `onWrite` is told after every write.
 */
export function betterSqlitePort(prepare: Prepare, onWrite: () => void): SqlPort {
  return {
    async all(sql, params) {
      return prepare(sql)
        .raw(false)
        .all(...params) as Row[];
    },
    async values(sql, params) {
      return prepare(sql)
        .raw(true)
        .all(...params) as unknown[][];
    },
    async run(sql, params) {
      const r = prepare(sql).run(...params);
      onWrite();
      return { changes: r.changes, lastId: Number(r.lastInsertRowid) };
    },
    async runEach(sql, rows) {
      const statement = prepare(sql);
      for (const row of rows) statement.run(...row);
      if (rows.length > 0) onWrite();
    },
    async claim(sql, params) {
      const rows = prepare(sql)
        .raw(false)
        .all(...params) as Row[];
      if (rows.length > 0) onWrite();
      return rows;
    },
    async claimValues(sql, params) {
      const rows = prepare(sql)
        .raw(true)
        .all(...params) as unknown[][];
      if (rows.length > 0) onWrite();
      return rows;
    },
    async newId() {
      return null;
    },
  };
}
