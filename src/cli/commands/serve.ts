import { loadConfig } from '../../config.ts';
import { startServer } from '../../server.ts';
import { type Command, parseFlags } from '../io.ts';

const HELP = `Usage: vigil serve

Runs the server: pings, the API, the deadline scheduler and alert delivery.
Settings come from the environment (see docs/configuration.md), e.g.
  VIGIL_DATABASE_URL=sqlite:./data/vigil.db VIGIL_PORT=8080 vigil serve
Stops cleanly on SIGTERM or SIGINT: in-flight requests and deliveries finish first.
`;

export const serveCommand: Command = async (args, io) => {
  const { values } = parseFlags(args, {}, HELP);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const config = loadConfig(io.env);
  const server = await startServer(config, {
    onBootstrap: (b) =>
      io.out(
        `\nFirst start: created project "default".\n` +
          `  API key (read-write, shown once): ${b.key}\n` +
          `  Ping key: ${b.pingKey}\n` +
          `  Try:  curl -fsS "${b.pingUrlExample}"\n` +
          `        curl -H "X-Api-Key: ${b.key}" ${config.baseUrl}/api/v1/checks\n\n`,
      ),
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      server.logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      server.close().then(resolve, (err) => {
        server.logger.error({ err }, 'error while shutting down');
        resolve();
      });
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  return 0;
};
