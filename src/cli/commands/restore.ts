// `vigil restore FILE`: puts a backup made by vigil backup in place of the SQLite database,
// while no vigil serves it. The database that was there is kept beside it.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, redactDatabaseUrl } from '../../config.ts';
import { secretKeyPath } from '../../secrets/key-file.ts';
import { restoreDatabase } from '../../store/sqlite/backup-file.ts';
import { acquireProcessLock } from '../../store/sqlite/process-lock.ts';
import { CliError, type Command, parseFlags, print } from '../io.ts';

const HELP = `Usage: vigil restore FILE [--json]

Replaces the SQLite database named by VIGIL_DATABASE_URL with FILE, a backup made by
vigil backup. Stop vigil first: a database a vigil serves is refused. FILE is checked
(PRAGMA integrity_check, vigil's tables, a schema this version knows) before anything is
replaced, and the database that was there is kept as <database>.before-restore-<time>.
Start vigil afterwards; it upgrades a backup from an older version as it opens it.

Put back the secret.key saved with the backup too, when it came from another data directory
or the key changed since. On PostgreSQL use pg_restore.
`;

export const restoreCommand: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } }, HELP, true);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`give the backup file to restore\n\n${HELP}`, 2);
  const config = loadConfig(io.env);
  if (config.sqlitePath === null) {
    throw new CliError(
      `vigil restore replaces a SQLite database; ${redactDatabaseUrl(config.databaseUrl)} is PostgreSQL: restore a pg_dump backup with pg_restore, e.g.\n  pg_restore --clean --if-exists --dbname="$VIGIL_DATABASE_URL" vigil.dump`,
    );
  }
  if (config.sqlitePath === ':memory:') throw new CliError('an in-memory database cannot be restored into');
  const dbPath = resolve(config.sqlitePath);
  const file = resolve(positionals[0]!);
  if (file === dbPath) throw new CliError('FILE is the database itself; name the backup file');
  mkdirSync(dirname(dbPath), { recursive: true });
  let release: () => void;
  try {
    // the server's own lock: held, a vigil serves the file; taken, none can start meanwhile
    release = acquireProcessLock(dbPath);
  } catch (err) {
    throw new CliError(`cannot restore now: ${(err as Error).message}`);
  }
  let result: Awaited<ReturnType<typeof restoreDatabase>>;
  try {
    result = await restoreDatabase(file, dbPath, new Date());
  } catch (err) {
    throw new CliError(`${(err as Error).message}; nothing was changed`);
  } finally {
    release();
  }
  const keyFile = secretKeyPath(config);
  const key = keyFile !== null && existsSync(keyFile) ? keyFile : null;
  const keyNote = key
    ? `the channel secrets are read with ${key}: if the backup came from another data directory, or the key changed since, put back the secret.key saved with it`
    : `if the backup's data directory had a secret.key, copy it to ${keyFile ?? dirname(dbPath)} before starting vigil (without it the channel secrets cannot be read)`;
  print(
    io,
    values.json,
    {
      file,
      database: dbPath,
      checks: result.checks,
      pings: result.pings,
      previous: result.previous,
      secret_key_file: key,
    },
    `restored ${file} into ${dbPath}: ${result.checks} checks, ${result.pings} pings` +
      (result.previous ? `\nthe database that was there is now ${result.previous}` : '') +
      `\n${keyNote}\nstart vigil to serve it`,
  );
  return 0;
};
