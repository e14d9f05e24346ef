// `vigil ping <check>`: one ping by hand or from a script that is not wrapped in `vigil run`.
import { loadClientConfig } from '../client-config.ts';
import { CliError, type Command, parseFlags } from '../io.ts';
import { describeAction, type PingAction, resolvePingTarget, runId, sendPing } from '../ping-client.ts';

const HELP = `Usage:
  vigil ping <check> [--start|--fail|--log|--exit N] [--message TEXT] [--rid auto|ID]

Sends one ping: success by default. <check> is the check's UUID, or its slug (needs
VIGIL_PING_KEY or "ping_key" in the config file).
  --start          a run started          --fail     the run failed
  --log            recorded, changes nothing
  --exit N         the job's exit status (0-255): 0 is success, anything else a failure
  --message TEXT   the ping's body (e.g. a log line)
  --rid auto|ID    pair a start with its end (auto: a random UUID, printed on stdout)

Exits 0 when vigil accepted the ping; 1 when it refused it (e.g. unknown check); 69 when it
could not be reached (after retries at 200 ms, 1 s and 3 s).
`;

function pickAction(values: { start?: boolean; fail?: boolean; log?: boolean; exit?: string }): PingAction {
  const chosen = [values.start && 'start', values.fail && 'fail', values.log && 'log'].filter(
    (a): a is 'start' | 'fail' | 'log' => typeof a === 'string',
  );
  if (values.exit !== undefined) {
    if (!/^\d{1,3}$/.test(values.exit) || Number(values.exit) > 255)
      throw new CliError(`--exit: use a number from 0 to 255, got "${values.exit}"`, 2);
    if (chosen.length > 0) throw new CliError('give only one of --start, --fail, --log, --exit', 2);
    return Number(values.exit);
  }
  if (chosen.length > 1) throw new CliError('give only one of --start, --fail, --log, --exit', 2);
  return chosen[0] ?? 'success';
}

export const pingCommand: Command = async (args, io) => {
  const { values, positionals } = parseFlags(
    args,
    {
      start: { type: 'boolean' },
      fail: { type: 'boolean' },
      log: { type: 'boolean' },
      exit: { type: 'string' },
      message: { type: 'string', short: 'm' },
      rid: { type: 'string' },
    },
    HELP,
    true,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`give one check (UUID or slug)\n\n${HELP}`, 2);
  const action = pickAction(values);
  const target = await resolvePingTarget(positionals[0]!, loadClientConfig(io.env));
  const rid = runId(values.rid);
  const result = await sendPing(target, action, { rid, body: values.message });
  if (!result.ok) {
    throw new CliError(
      `could not report ${describeAction(action)} to ${target.label}: ${result.why}`,
      result.status === null ? 69 : 1,
    );
  }
  if (values.rid === 'auto') io.out(`${rid}\n`);
  return 0;
};
