// Telling "the database server cannot be reached right now" apart from every other error: it is
// restarting, failing over, refusing connections, or ended ours. No fault of the request, and
// it passes by itself within seconds (the pool opens fresh connections once the server is back),
// so requests answer 503 with Retry-After instead of 500. Runtime-neutral: error codes and the
// pg driver's messages only. (A database that answers but refuses writes is storage-problem.ts.)

import { storageProblem } from './storage-problem.ts';

/** Retry-After on those 503s: a PostgreSQL restart or failover takes seconds. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/** errno codes of a connection that could not be made or was cut */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs: admin_shutdown (a fast or smart stop ended the session), crash_shutdown,
 * cannot_connect_now (starting up or shutting down), too_many_connections. Class 08, connection
 * exceptions, is matched as a class.
 */
const SERVER = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * What pg says, with no code, when a connection ends under a query, when a client is used after
 * its connection died, and when the pool's connection timeout passes.
 */
const DRIVER =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

function matches(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK.has(code) || SERVER.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
    return true;
  return DRIVER.test(e.message);
}

/** Whether `err` (or what caused it) says the database server cannot be reached right now. */
export function databaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (matches(e)) return true;
    // a connection tried on every address of a host fails with all of their errors
    if (e instanceof AggregateError && e.errors.some((inner) => inner instanceof Error && matches(inner)))
      return true;
  }
  return false;
}

/**
 * The database cannot take writes now, for a reason that is no fault of the caller and passes
 * without a change to what it sent: it refuses them (disk full, read-only; storage-problem.ts)
 * or cannot be reached.
 */
export function databaseOutage(err: unknown): boolean {
  return storageProblem(err) !== null || databaseUnavailable(err);
}
