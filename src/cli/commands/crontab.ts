// `vigil crontab import`: one cron check per crontab job, and the crontab with each job wrapped
// in `vigil run`. Idempotent: checks are upserted by slug, wrapped lines stay as they are.
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { validateTimezone } from '../../core/schedule.ts';
import { apiClient } from '../api-client.ts';
import { loadClientConfig, requireApiKey } from '../client-config.ts';
import { type CrontabLine, parseCrontab, wrapLine } from '../crontab-lines.ts';
import { CliError, type Command, helpOrUsage, parseFlags } from '../io.ts';

const HELP = `Usage:
  vigil crontab import [FILE] [--dry-run|--write] [--timezone TZ] [--tag T]

Reads FILE (or \`crontab -l\`), creates or updates one cron check per job (same expression and
timezone; slug: the program's name and a hash of the command) and prints the crontab with
each job wrapped: "<schedule> vigil run <slug> -- <command>". The new crontab goes to stdout,
what was done to stderr.
  --dry-run       change nothing: print the new crontab only
  --write         install it: rewrite FILE in place, or without FILE pipe it to \`crontab -\`
  --timezone TZ   for jobs before any CRON_TZ=/TZ= line (default UTC)
  --tag T         tag the checks (repeatable)

Running it again on its own output changes nothing: wrapped lines stay as they are and their
checks are upserted unchanged. User crontabs only (no user field, as in /etc/crontab).
The command text is kept verbatim, "%" included: cron still turns it into a newline and
stdin as before, and vigil run passes stdin to the job. Cron's shell reads the whole line,
so compound commands (a && b, a | b, a; b) are left unwrapped with a note: put them in a
script. Cron's PATH must find vigil, and vigil run needs VIGIL_PING_KEY (or "ping_key" in
~/.config/vigil/config.json) to ping by slug.
`;

function readCrontab(file: string | undefined): string {
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 66);
    }
  }
  const r = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
  if (r.error) throw new CliError(`cannot run crontab -l: ${r.error.message}`, 69);
  // "no crontab for <user>" is an empty crontab, not an error
  if (r.status !== 0) {
    if (/no crontab/i.test(r.stderr)) return '';
    throw new CliError(`crontab -l failed: ${r.stderr.trim()}`, 1);
  }
  return r.stdout;
}

function install(file: string | undefined, text: string): void {
  if (file !== undefined) {
    // write beside it, then rename: a crash leaves the old file, never half a new one
    const tmp = `${file}.vigil-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return;
  }
  const r = spawnSync('crontab', ['-'], { input: text, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new CliError(`crontab - failed: ${r.error?.message ?? r.stderr.trim()}`, 1);
  }
}

type Job = Extract<CrontabLine, { kind: 'job' }>;

function checkBody(job: Job, tags: string[] | undefined) {
  return {
    name: job.command.length > 80 ? `${job.command.slice(0, 79)}…` : job.command,
    schedule: { kind: 'cron', expression: job.expression, timezone: job.timezone },
    ...(tags && tags.length > 0 ? { tags } : {}),
  };
}

export const crontabCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(
    rest,
    {
      write: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      timezone: { type: 'string' },
      tag: { type: 'string', multiple: true },
    },
    HELP,
    true,
  );
  const early = helpOrUsage(sub, values.help, HELP, io);
  if (early !== null) return early;
  if (sub !== 'import') throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
  if (positionals.length > 1) throw new CliError(`give at most one FILE\n\n${HELP}`, 2);
  if (values.write && values['dry-run']) throw new CliError('--write and --dry-run exclude each other', 2);
  const timezone = values.timezone ?? 'UTC';
  const tzProblem = validateTimezone(timezone);
  if (tzProblem) throw new CliError(`--timezone: ${tzProblem}`, 2);

  const file = positionals[0];
  const original = readCrontab(file);
  const lines = parseCrontab(original, timezone);
  const jobs = lines.filter((l): l is Job => l.kind === 'job');

  for (const l of lines) if (l.kind === 'skip') io.err(`line ${l.lineNo}: skipped: ${l.note}\n`);

  let created = 0;
  let updated = 0;
  if (!values['dry-run'] && jobs.length > 0) {
    const config = loadClientConfig(io.env);
    let lastStatus = 0;
    // the client returns the body only; the status tells created (201) from updated (200)
    const api = apiClient({
      url: config.url,
      apiKey: requireApiKey(config),
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        lastStatus = res.status;
        return res;
      },
    });
    for (const job of jobs) {
      try {
        await api.request(
          'PUT',
          `/checks/by-slug/${encodeURIComponent(job.slug)}`,
          checkBody(job, values.tag),
        );
      } catch (err) {
        throw new CliError(
          `line ${job.lineNo} (${job.slug}): ${(err as Error).message}`,
          (err as CliError).exitCode ?? 1,
        );
      }
      if (lastStatus === 201) created++;
      else updated++;
    }
    if (!config.pingKey) {
      io.err(
        'note: vigil run pings these checks by slug: give cron VIGIL_PING_KEY or "ping_key" in the config file\n',
      );
    }
  }

  const text = lines.map(wrapLine).join('\n') + (lines.length > 0 ? '\n' : '');
  const summary = values['dry-run']
    ? `${jobs.length} job${jobs.length === 1 ? '' : 's'} (dry run: no checks changed)`
    : `${created} check${created === 1 ? '' : 's'} created, ${updated} updated`;
  io.out(text);
  if (values.write) install(file, text);
  io.err(`${summary}${values.write ? `; ${file ?? 'the crontab'} rewritten` : ''}\n`);
  return 0;
};
