// `vigil apply -f FILE`: makes the server match a config file (checks, channels, maintenance
// windows), printing the plan first. See docs/config-as-code.md.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describeOp, plan } from '../../config-as-code/plan.ts';
import { applyOps, fetchState, OpFailed } from '../../config-as-code/remote.ts';
import { ConfigFileError, parseConfigFile } from '../../config-as-code/yaml.ts';
import { apiClient } from '../api-client.ts';
import { loadClientConfig, requireApiKey } from '../client-config.ts';
import { CliError, type Command, parseFlags } from '../io.ts';

const HELP = `Usage: vigil apply -f FILE [--dry-run] [--prune]

Makes the server match FILE (YAML or JSON): checks by slug, channels and maintenance windows
by name. Prints the plan (+ create, ~ change, - delete), then applies it.

  -f, --file FILE   the config file (vigil export writes one)
  --dry-run         print the plan only
  --prune           delete what a section of the file does not list (sections left out are kept)

Fields a file leaves out are left as they are. A masked secret ("••••abcd") keeps the stored one.
Reads VIGIL_URL and VIGIL_API_KEY (or the client config file).
`;

/** Exit code for a file that cannot be applied (sysexits EX_DATAERR). */
const DATA_ERROR = 65;

export const applyCommand: Command = async (args, io) => {
  const { values } = parseFlags(
    args,
    { file: { type: 'string', short: 'f' }, 'dry-run': { type: 'boolean' }, prune: { type: 'boolean' } },
    HELP,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (!values.file) throw new CliError(`-f FILE is required\n\n${HELP}`, 2);
  let text: string;
  try {
    text = readFileSync(values.file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${values.file}: ${(err as Error).message}`, 66);
  }
  const name = basename(values.file);
  let parsed: ReturnType<typeof parseConfigFile>;
  try {
    parsed = parseConfigFile(text, name);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new CliError(err.message, DATA_ERROR);
    throw err;
  }

  const client = loadClientConfig(io.env);
  const api = apiClient({ url: client.url, apiKey: requireApiKey(client) });
  const current = await fetchState(api);
  const result = plan(parsed.config, current, { prune: values.prune === true });
  if (result.problems.length > 0) {
    throw new CliError(result.problems.map((p) => parsed.problem(p.path, p.message)).join('\n'), DATA_ERROR);
  }

  const lines = result.ops.map(describeOp);
  lines.push(`= ${result.unchanged} unchanged`);
  if (result.unmanaged > 0)
    lines.push(
      `  (${result.unmanaged} on the server but not in the file: kept${values.prune ? '' : '; --prune deletes those of listed sections'})`,
    );
  if (result.fromSources > 0)
    lines.push(`  (${result.fromSources} checks from sources not in the file: kept; their sources own them)`);
  io.out(`${lines.join('\n')}\n`);
  if (values['dry-run'] || result.ops.length === 0) {
    if (values['dry-run']) io.out('dry run: nothing changed\n');
    return 0;
  }
  try {
    await applyOps(api, result.ops, current);
  } catch (err) {
    if (!(err instanceof OpFailed)) throw err;
    // say which entry of the file the server refused
    const { op, error } = err;
    const exitCode = error instanceof CliError ? error.exitCode : 1;
    const message = `${describeOp(op)} failed: ${err.message}`;
    throw new CliError('path' in op ? parsed.problem(op.path, message) : message, exitCode);
  }
  io.out(`applied ${result.ops.length} change${result.ops.length === 1 ? '' : 's'}\n`);
  return 0;
};
