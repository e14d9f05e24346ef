// Which errors mean "the database server cannot be reached right now" (a 503 with Retry-After)
// and which do not (a bug, a conflict, a refused write: answered as they were). The errors are
// shaped as pg and node:net make them; test/e2e/pg-restart.test.ts meets the real ones.
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../../src/store/database-unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('databaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a fast or smart stop', withCode('terminating connection due to administrator command', '57P01')],
    ['a crash of another backend', withCode('terminating connection because of crash', '57P02')],
    ['a server starting up', withCode('the database system is starting up', '57P03')],
    ['a full connection table', withCode('sorry, too many clients already', '53300')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['a connection lost under a query', new Error('Connection terminated unexpectedly')],
    [
      'a client used after its connection died',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['a pool that found no connection in time', new Error('timeout exceeded when trying to connect')],
    [
      'a refusal on every address of a host',
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed'),
    ],
    ['a wrapped one', new Error('ping failed', { cause: withCode('read ECONNRESET', 'ECONNRESET') })],
  ])('is true for %s', (_, err) => {
    expect(databaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value', '23505')],
    ['a cancelled statement', withCode('canceling statement due to statement timeout', '57014')],
    ['a full disk (the database refuses writes)', withCode('could not extend file', '53100')],
    ['an SQLite error', withCode('database or disk is full', 'SQLITE_FULL')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a thrown string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('is false for %s', (_, err) => {
    expect(databaseUnavailable(err)).toBe(false);
  });
});
