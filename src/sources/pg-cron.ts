// A PostgreSQL database's pg_cron jobs and their runs. Each sync opens one short-lived
// connection, reads cron.job and cron.job_run_details in one read-only snapshot with a
// statement timeout, and closes it: vigil never writes to a source, and a slow or locked
// database costs it one bounded wait, not a held connection.
import pg from 'pg';
import { z } from 'zod';
import { slugify } from '../core/slug.ts';
import { secret } from '../notifiers/fields.ts';
import type { Source } from '../store/store.ts';
import { type DiscoveredJob, type SourceAdapter, SourceUnreachable, type SyncContext } from './adapter.ts';
import {
  firstCursor,
  parseCursor,
  RUNS_PER_SYNC,
  type RunRow,
  readRuns,
  unfinished,
} from './pg-cron-runs.ts';
import { readSchedule } from './pg-cron-schedule.ts';
import { describePgError, hostOf } from './pg-errors.ts';

const CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
/** More jobs than this and a partial list would archive the rest: the sync fails instead. */
const MAX_JOBS = 10_000;
/** A run's output is kept as its ping's body; more than this of it is not worth the transfer. */
const MESSAGE_CHARS = 10_000;

export const pgCronConfigSchema = z
  .object({
    url: secret(2048).refine(
      (url) => /^postgres(ql)?:\/\//.test(url) && URL.canParse(url),
      'a postgres:// connection string (postgres://user:password@host:5432/postgres)',
    ),
    statement_timeout_ms: z.number().int().min(100).max(60_000).optional(),
  })
  .strict();

export type PgCronConfig = z.output<typeof pgCronConfigSchema>;

export const pgCronAdapter: SourceAdapter = {
  kind: 'pg_cron',
  configSchema: pgCronConfigSchema,
  readsRuns: true,
  secretFields: ['url'],

  async sync(source, ctx) {
    const config = pgCronConfigSchema.parse(source.config);
    const timeoutMs = config.statement_timeout_ms ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const client = new pg.Client({
      connectionString: config.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // the server's statement_timeout ends a slow query; this ends a server that stopped answering
      query_timeout: timeoutMs + 2000,
      application_name: 'vigil',
    });
    // an error after connect (the server going away between queries) must not crash the process
    client.on('error', () => {});
    const abort = () => void client.end().catch(() => {});
    ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      await client.connect();
      return await readSource(client, source, ctx, timeoutMs);
    } catch (err) {
      if (err instanceof SourceUnreachable) throw err;
      const why = ctx.signal.aborted
        ? 'the sync took too long and was stopped'
        : describePgError(err, timeoutMs);
      throw new SourceUnreachable(`${hostOf(config.url)}: ${redact(why, config.url)}`);
    } finally {
      ctx.signal.removeEventListener('abort', abort);
      await client.end().catch(() => {});
    }
  },
};

async function readSource(client: pg.Client, source: Source, ctx: SyncContext, timeoutMs: number) {
  // One snapshot for jobs and runs, so a job and its runs agree; READ ONLY so that nothing,
  // whatever the role may do, is ever written.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await client.query("SELECT set_config('statement_timeout', $1, true)", [String(timeoutMs)]);
  const { rows: settings } = await client.query<{ timezone: string | null }>(
    "SELECT current_setting('cron.timezone', true) AS timezone",
  );
  const { rows: jobRows } = await client.query<JobRow>(
    `SELECT jobid::text AS jobid, jobname, schedule, left(command, 1000) AS command, database, username, active
     FROM cron.job ORDER BY jobid LIMIT $1`,
    [MAX_JOBS + 1],
  );
  if (jobRows.length > MAX_JOBS) {
    throw new SourceUnreachable(`more than ${MAX_JOBS} pg_cron jobs; vigil reads at most ${MAX_JOBS}`);
  }
  let cursor = parseCursor(source.cursor);
  if (cursor === null) {
    const { rows } = await client.query<{ max: string }>(
      'SELECT coalesce(max(runid), 0)::text AS max FROM cron.job_run_details',
    );
    cursor = firstCursor(Number(rows[0]?.max ?? 0));
  }
  const { rows: runRows } = await client.query<RawRun>(
    `SELECT runid::text AS runid, jobid::text AS jobid, status, left(return_message, ${MESSAGE_CHARS}) AS message,
            start_time, end_time
     FROM cron.job_run_details WHERE runid > $1 OR runid = ANY($2::bigint[])
     ORDER BY runid LIMIT $3`,
    [cursor.last, unfinished(cursor), RUNS_PER_SYNC],
  );
  await client.query('COMMIT');

  const timezone = settings[0]?.timezone ?? null;
  const jobs = jobRows.map((row) => toJob(row, timezone, source.grace));
  const read = readRuns(runRows.map(toRunRow), cursor, ctx.now);
  return { jobs, runs: read.runs, cursor: JSON.stringify(read.cursor) };
}

interface JobRow {
  jobid: string;
  jobname: string | null;
  schedule: string;
  command: string;
  database: string;
  username: string;
  active: boolean;
}

interface RawRun {
  runid: string;
  jobid: string;
  status: string | null;
  message: string | null;
  start_time: Date | null;
  end_time: Date | null;
}

function toJob(row: JobRow, timezone: string | null, grace: number): DiscoveredJob {
  const { schedule, note } = readSchedule(row.schedule, timezone, grace);
  return {
    key: row.jobid,
    name: jobSlugName(row.jobname, row.jobid),
    displayName: row.jobname?.trim() || `job ${row.jobid}`,
    schedule,
    active: row.active,
    details: {
      jobid: Number(row.jobid),
      schedule: row.schedule,
      command: row.command,
      database: row.database,
      username: row.username,
      schedule_note: note,
    },
  };
}

/** The job's part of its check's slug: its name made slug-safe, or `job-<jobid>` without one. */
export function jobSlugName(jobname: string | null, jobid: string): string {
  const plain = (jobname ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return /[a-z0-9]/i.test(plain) ? slugify(plain) : `job-${jobid}`;
}

function toRunRow(r: RawRun): RunRow {
  return {
    runid: Number(r.runid),
    jobid: r.jobid,
    status: r.status ?? '',
    returnMessage: r.message,
    startTime: r.start_time?.getTime() ?? null,
    endTime: r.end_time?.getTime() ?? null,
  };
}

/** Drivers may quote what they were given; neither the URL nor its password leaves here. */
function redact(text: string, url: string): string {
  let out = text.split(url).join('<url>');
  const password = URL.canParse(url) ? decodeURIComponent(new URL(url).password) : '';
  if (password.length > 0) out = out.split(password).join('••••');
  return out;
}
