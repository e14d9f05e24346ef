import type { ColumnDefinitionBuilder } from 'kysely';

/** The few places where the engines' DDL differs. */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** sqlite's INTEGER PRIMARY KEY is the rowid; postgres wants a bigint identity */
  idType: 'integer' | 'bigint';
  autoIncrement: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  idType: 'integer',
  autoIncrement: (c) => c.autoIncrement(),
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  idType: 'bigint',
  // BY DEFAULT, not ALWAYS: migration 002 copies notification rows with their ids
  autoIncrement: (c) => c.generatedByDefaultAsIdentity(),
};
