import type pg from 'pg';
import type { SecretBox } from '../../secrets/secret-box.ts';
import { CHECK_COLUMNS, checkFromValues, type Row } from '../rows.ts';
import type { Check } from '../store.ts';

/** A pool (each statement its own transaction) or one client inside BEGIN … COMMIT. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** `$1, $2, …, $n` starting after `from` placeholders. */
export const placeholders = (n: number, from = 0): string =>
  Array.from({ length: n }, (_, i) => `$${from + i + 1}`).join(', ');

/** `a = $1, b = $2, …` for an UPDATE's SET list. */
export const assignments = (columns: readonly string[], from = 0): string =>
  columns.map((c, i) => `${c} = $${from + i + 1}`).join(', ');

export const CHECK_SELECT = `SELECT ${CHECK_COLUMNS.join(', ')} FROM checks`;

/** The smallest value of a MIN(...) row, or null. */
export const minOf = (r: Row | undefined): number | null =>
  r?.t === null || r?.t === undefined ? null : Number(r.t);

/**
 * The statement helpers every area of PgTx uses. The Tx methods are split by area over a
 * short chain of classes (audit → accounts → checks → sources → outbox) only to keep each file readable.
 */
export class PgSql {
  constructor(
    protected readonly db: Queryable,
    /**
     * Inside transaction(): a check read there is locked until the commit (FOR UPDATE), as
     * it is on SQLite, whose transactions run one at a time. Without it, a ping, a sweep and
     * an edit on different nodes read the same rev and all but one fail their rev compare.
     */
    protected readonly lockReads = false,
    /** seals channel and source configs; null stores them plain (see ../stored-secrets.ts) */
    protected readonly secrets: SecretBox | null = null,
  ) {}

  protected async all(text: string, ...values: unknown[]): Promise<Row[]> {
    return (await this.db.query<Row>(text, values)).rows;
  }
  protected async one(text: string, ...values: unknown[]): Promise<Row | undefined> {
    return (await this.db.query<Row>(text, values)).rows[0];
  }
  /** runs a write; answers how many rows it touched */
  protected async run(text: string, ...values: unknown[]): Promise<number> {
    return (await this.db.query(text, values)).rowCount ?? 0;
  }
  /** Checks by a query on `checks`, as arrays in CHECK_COLUMNS order (no per-row key lookups). */
  protected async checks(where: string, ...values: unknown[]): Promise<Check[]> {
    const result = await this.db.query<unknown[]>({
      text: `${CHECK_SELECT} ${where}`,
      values,
      rowMode: 'array',
    });
    return result.rows.map(checkFromValues);
  }
}
