// `vigil <command>`: the one entry point for the server and its admin commands.
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config.ts';
import { CliError, type Command, type Io, nodeIo } from './io.ts';

// Each loaded on use: `vigil run` in a crontab starts without the server's modules or the
// database drivers, and `vigil keys` without the server's.
const COMMANDS: Record<string, Command> = {
  serve: async (a, io) => (await import('./commands/serve.ts')).serveCommand(a, io),
  migrate: async (a, io) => (await import('./commands/migrate.ts')).migrateCommand(a, io),
  keys: async (a, io) => (await import('./commands/keys.ts')).keysCommand(a, io),
  projects: async (a, io) => (await import('./commands/projects.ts')).projectsCommand(a, io),
  users: async (a, io) => (await import('./commands/users.ts')).usersCommand(a, io),
  run: async (a, io) => (await import('./commands/run.ts')).runCommand(a, io),
  ping: async (a, io) => (await import('./commands/ping.ts')).pingCommand(a, io),
  checks: async (a, io) => (await import('./commands/checks.ts')).checksCommand(a, io),
  status: async (a, io) => (await import('./commands/status.ts')).statusCommand(a, io),
  crontab: async (a, io) => (await import('./commands/crontab.ts')).crontabCommand(a, io),
  apply: async (a, io) => (await import('./commands/apply.ts')).applyCommand(a, io),
  export: async (a, io) => (await import('./commands/export.ts')).exportCommand(a, io),
  sources: async (a, io) => (await import('./commands/sources.ts')).sourcesCommand(a, io),
  backup: async (a, io) => (await import('./commands/backup.ts')).backupCommand(a, io),
  restore: async (a, io) => (await import('./commands/restore.ts')).restoreCommand(a, io),
  secrets: async (a, io) => (await import('./commands/secrets.ts')).secretsCommand(a, io),
};

const HELP = `vigil — a heartbeat (dead man's switch) monitor

Usage: vigil <command> [options]

Commands:
  serve                       run the server (API, pings, scheduler, alerts)
  migrate                     create or upgrade the database, then exit
  backup FILE                 copy the SQLite database to FILE, safely while vigil runs
  restore FILE                put a backup in place of the database (vigil stopped)
  secrets rotate              re-seal the channel and source secrets with a new key (vigil stopped)
  keys create|list|revoke     manage API keys
  projects create|list        manage projects
  users create|ls|passwd|add|remove
                              manage dashboard users and their projects
  run <check> -- <command>    run a job and report its start, exit status and output
  ping <check>                send one ping (--start, --fail, --log, --exit N)
  checks ls|show              list the checks, or show one
  status                      counts, and what is down or late (exit 1 when something is down)
  crontab import [FILE]       a cron check per crontab job, and the crontab wrapped in vigil run
  apply -f FILE [--dry-run] [--prune]
                              make checks, channels, windows match a file
  export [-o FILE]            write them as a file that apply reads back
  sources add|ls|rm|sync|summary
                              pg_cron databases and Supabase projects whose jobs vigil watches

Every command takes --help. Commands that print data take --json.
Configuration comes from environment variables (VIGIL_DATABASE_URL, VIGIL_PORT, ...): see docs/configuration.md.
`;

export async function main(argv: string[], io: Io = nodeIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(HELP);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return 0;
  }
  if (name === '--version') {
    io.out('vigil 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command || !Object.hasOwn(COMMANDS, name)) {
    io.err(`vigil: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof CliError || err instanceof ConfigError) {
      io.err(`vigil ${name}: ${err.message}\n`);
      return err instanceof CliError ? err.exitCode : 78;
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      // Operators get the message; a stack trace only when they ask for debug logs.
      console.error(process.env.VIGIL_LOG_LEVEL === 'debug' ? err : `vigil: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
