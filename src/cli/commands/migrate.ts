import { redactDatabaseUrl } from '../../config.ts';
import { type Command, parseFlags, withStore } from '../io.ts';

const HELP = `Usage: vigil migrate

Creates the database named by VIGIL_DATABASE_URL, or upgrades it to this version's schema.
(vigil serve does this too; run it alone before a rolling upgrade.)
`;

export const migrateCommand: Command = async (args, io) => {
  const { values } = parseFlags(args, {}, HELP);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  await withStore(io, async (_store, config) => {
    io.out(`database ${redactDatabaseUrl(config.databaseUrl)} is up to date\n`);
  });
  return 0;
};
