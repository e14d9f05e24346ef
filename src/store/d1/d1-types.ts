// The few parts of Cloudflare's D1 binding the store uses, typed here so the rest of the code
// need not load @cloudflare/workers-types' globals (they clash with Node's fetch types).
// See https://developers.cloudflare.com/d1/worker-api/

export type D1Value = string | number | null | ArrayBuffer;

export interface D1Meta {
  changes: number;
  last_row_id: number;
}

export interface D1Result<T = Record<string, unknown>> {
  results: T[];
  meta: D1Meta;
  success: boolean;
}

export interface D1PreparedStatement {
  bind(...values: D1Value[]): D1PreparedStatement;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  raw<T = unknown[]>(): Promise<T[]>;
  run(): Promise<D1Result>;
}

export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  /** runs the statements in order as one transaction: all of them or none */
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
}
