// `vigil backup FILE`: a consistent copy of the SQLite database, taken while vigil runs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, redactDatabaseUrl } from '../../config.ts';
import { secretKeyPath } from '../../secrets/key-file.ts';
import { backupDatabase } from '../../store/sqlite/backup-file.ts';
import { CliError, type Command, parseFlags, print } from '../io.ts';

const HELP = `Usage: vigil backup FILE [--force] [--json]

Copies the SQLite database named by VIGIL_DATABASE_URL to FILE, safely while vigil serves
it: the copy is one consistent snapshot holding every ping answered before it began. The
copy is checked (PRAGMA integrity_check) before it takes the name FILE.

  --force    replace FILE if it exists

Keep secret.key (from the data directory) with the backup: the channel secrets in the
database are sealed with it. On PostgreSQL use pg_dump. Put a backup back with vigil restore.
`;

export const backupCommand: Command = async (args, io) => {
  const { values, positionals } = parseFlags(
    args,
    { force: { type: 'boolean' }, json: { type: 'boolean' } },
    HELP,
    true,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`give one file to write the backup to\n\n${HELP}`, 2);
  const config = loadConfig(io.env);
  if (config.sqlitePath === null) {
    throw new CliError(
      `vigil backup copies a SQLite database; ${redactDatabaseUrl(config.databaseUrl)} is PostgreSQL: back it up with pg_dump, e.g.\n  pg_dump --format=custom --file=vigil.dump "$VIGIL_DATABASE_URL"\n(and restore with pg_restore; see docs/operations.md)`,
    );
  }
  if (config.sqlitePath === ':memory:') throw new CliError('an in-memory database has nothing to back up');
  const dbPath = resolve(config.sqlitePath);
  const dest = resolve(positionals[0]!);
  if (dest === dbPath) throw new CliError('FILE is the database itself; name another file');
  if (existsSync(dest) && !values.force) throw new CliError(`${dest} exists; remove it or pass --force`);
  const started = performance.now();
  const result = await backupDatabase(dbPath, dest).catch((err: Error) => {
    throw new CliError(err.message);
  });
  const ms = Math.round(performance.now() - started);
  const keyFile = secretKeyPath(config);
  const key = keyFile !== null && existsSync(keyFile) ? keyFile : null;
  const mb = (result.bytes / 1024 / 1024).toFixed(1);
  print(
    io,
    values.json,
    { file: dest, database: dbPath, ...result, ms, secret_key_file: key },
    `backed up ${dbPath} to ${dest}: ${result.checks} checks, ${result.pings} pings, ${mb} MB in ${ms} ms` +
      (key ? `\nkeep ${key} with it: the channel secrets in the backup are sealed with that key` : ''),
  );
  return 0;
};
