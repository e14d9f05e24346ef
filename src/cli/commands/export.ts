// `vigil export`: the project's checks, channels and maintenance windows as a config file that
// `vigil apply` reads back as a no-op. Secrets stay masked: an export never holds one.
import { writeFileSync } from 'node:fs';
import { fetchState, stateToFile } from '../../config-as-code/remote.ts';
import { formatOf, writeConfigFile } from '../../config-as-code/yaml.ts';
import { apiClient } from '../api-client.ts';
import { loadClientConfig, requireApiKey } from '../client-config.ts';
import { CliError, type Command, parseFlags } from '../io.ts';

const HELP = `Usage: vigil export [-o FILE] [--format yaml|json]

Writes the project's checks, channels and maintenance windows in the format vigil apply reads
(to stdout without -o). Secrets are masked; applying the export keeps them.

  -o, --output FILE   write here (the format follows a .json name unless --format says)
  --format yaml|json  default yaml
`;

export const exportCommand: Command = async (args, io) => {
  const { values } = parseFlags(
    args,
    { output: { type: 'string', short: 'o' }, format: { type: 'string' } },
    HELP,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (values.format !== undefined && values.format !== 'yaml' && values.format !== 'json')
    throw new CliError(`--format must be yaml or json, got "${values.format}"\n\n${HELP}`, 2);
  const format =
    (values.format as 'yaml' | 'json' | undefined) ?? (values.output ? formatOf(values.output) : 'yaml');
  const client = loadClientConfig(io.env);
  const api = apiClient({ url: client.url, apiKey: requireApiKey(client) });
  const text = writeConfigFile(stateToFile(await fetchState(api)), format);
  if (!values.output) {
    io.out(text);
    return 0;
  }
  try {
    writeFileSync(values.output, text, { mode: 0o644 });
  } catch (err) {
    throw new CliError(`cannot write ${values.output}: ${(err as Error).message}`, 73);
  }
  io.err(`wrote ${values.output}\n`);
  return 0;
};
