// Why a PostgreSQL source could not be read, in words an operator can act on. The source's
// health check carries this as "cannot connect to <name>: <why>", so it stays short.

const MAX_CHARS = 300;

/** host:port of a connection string, to say where vigil tried; never its credentials. */
export function hostOf(url: string): string {
  if (!URL.canParse(url)) return 'the database';
  const u = new URL(url);
  const host = u.hostname || new URLSearchParams(u.search).get('host') || 'localhost';
  return `${host}:${u.port || '5432'}`;
}

/** What went wrong, from a pg driver, socket or server error. */
export function describePgError(err: unknown, statementTimeoutMs: number): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return clip(explain(code, message, statementTimeoutMs));
}

function explain(code: string, message: string, statementTimeoutMs: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running and listening there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host did not answer';
    case 'ECONNRESET':
      return 'the connection was closed by the server';
    // SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
    case '57014':
      return `a query took longer than the statement timeout (${statementTimeoutMs} ms)`;
    case '42P01':
    case '3F000':
      return `pg_cron is not installed in this database (${message}); connect to the database named by cron.database_name`;
    case '42501':
      return `${message}; the monitoring role needs USAGE on schema cron and SELECT on cron.job and cron.job_run_details`;
    case '42703':
      return `${message} (vigil reads pg_cron 1.4 or later)`;
  }
  if (/timeout/i.test(message)) return 'the server did not answer in time';
  if (/terminated unexpectedly|Connection terminated/i.test(message)) return 'the connection was closed';
  return message;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_CHARS ? oneLine : `${oneLine.slice(0, MAX_CHARS - 1)}…`;
}
