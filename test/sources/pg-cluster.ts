// A throw-away PostgreSQL cluster with the real pg_cron extension, for the sources specs
// (test/helpers/pg-throwaway.ts makes and runs the cluster).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { postgresBin, requirePostgresBin, startThrowawayCluster } from '../helpers/pg-throwaway.ts';

/** The role a pg_cron source should use: it reads every job and run, and may change nothing. */
export const MONITOR_ROLE = 'vigil_monitor';
/**
 * Exactly what that role needs (docs/sources.md quotes these). BYPASSRLS because pg_cron's
 * row-level security shows a role only the jobs it owns; it gives no rights on any table.
 */
export const MONITOR_GRANTS = [
  `CREATE ROLE ${MONITOR_ROLE} LOGIN BYPASSRLS`,
  `GRANT USAGE ON SCHEMA cron TO ${MONITOR_ROLE}`,
  `GRANT SELECT ON cron.job, cron.job_run_details TO ${MONITOR_ROLE}`,
];
/** A role that must give a password (scram), to see what a wrong one says. */
export const PASSWORD_ROLE = 'vigil_pw';

export interface PgCronCluster {
  port: number;
  /** a connection string for `user` to `database` */
  url(user?: string, database?: string, password?: string): string;
  /** runs statements as the superuser in `database` (default: postgres, where pg_cron lives) */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** statements the server logged from connections named `application` */
  statementsOf(application: string): string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops the cluster and removes its directory */
  destroy(): Promise<void>;
}

/**
 * Whether a pg_cron cluster can be started here. Without one the specs skip, loudly; with
 * VIGIL_REQUIRE_POSTGRES set (CI) a missing pg_cron is an error instead.
 */
export function pgCronAvailable(): boolean {
  return requirePostgresBin(
    postgresBin('pg_cron'),
    'PostgreSQL with pg_cron is not installed (apt-get install postgresql-15-cron)',
    'the pg_cron source specs',
  );
}

export async function startPgCronCluster(): Promise<PgCronCluster> {
  const bin = postgresBin('pg_cron');
  if (!bin) throw new Error('pg_cron is not installed');
  const cluster = await startThrowawayCluster({
    bin,
    prefix: 'vigil-pgcron-',
    conf: `shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
# Debian's pg_cron 1.4 connects over libpq by default, which needs a password; workers do not
cron.use_background_workers = on
max_worker_processes = 32
log_statement = 'all'
log_line_prefix = 'app=%a| '`,
    hba: `host all ${PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256`,
  });
  const { url } = cluster;
  const sql: PgCronCluster['sql'] = async (text, params = [], database = 'postgres') => {
    const client = new pg.Client({ connectionString: url('postgres', database) });
    await client.connect();
    try {
      // several statements in one text answer with one result each: the last one's rows
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(text, params);
      return (Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows) as never;
    } finally {
      await client.end();
    }
  };
  await sql('CREATE EXTENSION pg_cron');
  for (const statement of MONITOR_GRANTS) await sql(statement);

  return {
    port: cluster.port,
    url,
    sql,
    statementsOf(application) {
      const prefix = `app=${application}| `;
      return readFileSync(cluster.log, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith(prefix))
        .map((line) => STATEMENT.exec(line)?.[1]?.trim())
        .filter((statement): statement is string => statement !== undefined);
    },
    stop: () => cluster.stop('fast'),
    start: cluster.start,
    destroy: cluster.destroy,
  };
}

// simple-protocol queries log as "statement:", parameterised ones as "execute <unnamed>:"
const STATEMENT = /LOG: {2}(?:statement|execute [^:]*): (.*)$/;

/** Milliseconds until the next minute starts, when pg_cron runs `* * * * *` jobs. */
export function msToNextMinute(now = Date.now()): number {
  return 60_000 - (now % 60_000);
}
