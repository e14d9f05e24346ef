// `vigil sources add|ls|rm|sync|summary`: the databases and projects vigil reads jobs from,
// through the API. Secrets (a connection string, a token) may come from the environment or
// stdin instead of a flag, so they stay out of the shell's history.
import type { ApiClient } from '../api-client.ts';
import { CliError, type Command, helpOrUsage, type Io, parseFlags, print } from '../io.ts';
import { clientFor, table } from './checks.ts';

const HELP = `Usage:
  vigil sources add <name> --kind pg_cron [--url postgres://…] [options]
  vigil sources add <name> --kind supabase --project-ref REF [--token TOKEN] [--api-url URL] [options]
      options: --severity critical|important|low  --tag T (repeatable)
               --interval SECONDS (between syncs, default 60)  --grace SECONDS (default 120)
  vigil sources ls [--json]
  vigil sources rm <source> [--json]         archives its checks (history kept)
  vigil sources sync <source> [--json]       read it now
  vigil sources summary <source> [--json]    how its jobs are doing (exit 1 when one failed or was missed)

<source> is a source's name or id. The secret is read, in this order, from the flag, from
VIGIL_SOURCE_URL (pg_cron) or SUPABASE_ACCESS_TOKEN (supabase), or as one line on stdin;
"--url -" and "--token -" read stdin. Prefer the environment or stdin: flags end up in the
shell's history.
Needs an API key (VIGIL_API_KEY, or "api_key" in the config file).
`;

const MAX_SECRET = 4096;

/** The fields of the API's source these commands use. */
interface SourceView {
  id: string;
  name: string;
  kind: string;
  sync_interval: number;
  grace: number;
  last_sync_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  health_check_id: string | null;
  check_count: number;
  [field: string]: unknown;
}

interface SyncReport {
  ok: boolean;
  error: string | null;
  jobs: number;
  runs: number;
  created: number;
  updated: number;
  archived: number;
}

interface Summary {
  name: string;
  kind: string;
  total: number;
  healthy: number;
  failed: number;
  missed: number;
  running: number;
  unknown: number;
  paused: number;
  late: number;
  new: number;
  checked_at: string | null;
  last_error: string | null;
  jobs: {
    slug: string;
    name: string;
    status: string;
    outcome: string;
    schedule: string;
    last_run_at: string | null;
    last_message?: string;
    running: boolean;
  }[];
}

/** The secret config field of each kind, its flag and its environment variable. */
const SECRETS = {
  pg_cron: { field: 'url', flag: 'url', env: 'VIGIL_SOURCE_URL', what: 'connection string' },
  supabase: { field: 'access_token', flag: 'token', env: 'SUPABASE_ACCESS_TOKEN', what: 'access token' },
} as const;

const when = (iso: string | null) => (iso === null ? 'never' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

async function stdinLine(what: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new CliError(`give the ${what} on stdin (piped), in the environment, or with its flag`, 2);
  }
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    text += chunk as string;
    if (text.includes('\n') || text.length > MAX_SECRET) break;
  }
  const line = text.split('\n')[0]!.replace(/\r$/, '');
  if (line === '') throw new CliError(`no ${what} on stdin: pipe it as one line`, 2);
  return line;
}

async function secretFor(kind: keyof typeof SECRETS, flagValue: string | undefined, io: Io): Promise<string> {
  const s = SECRETS[kind];
  if (flagValue !== undefined && flagValue !== '-') return flagValue;
  const fromEnv = flagValue === undefined ? io.env[s.env] : undefined;
  return fromEnv ? fromEnv : stdinLine(s.what);
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new CliError(`--${flag} takes whole seconds (got "${value}")`, 2);
  return Number(value);
}

async function findSource(api: ApiClient, ref: string): Promise<SourceView> {
  const { sources } = await api.request<{ sources: SourceView[] }>('GET', '/sources');
  const found = sources.find((s) => s.id === ref.toLowerCase() || s.name === ref);
  if (!found) throw new CliError(`no source "${ref}" (see vigil sources ls)`);
  return found;
}

type Values = ReturnType<typeof parse>['values'];

function parse(args: string[]) {
  return parseFlags(
    args,
    {
      json: { type: 'boolean' },
      kind: { type: 'string' },
      url: { type: 'string' },
      'project-ref': { type: 'string' },
      token: { type: 'string' },
      'api-url': { type: 'string' },
      severity: { type: 'string' },
      tag: { type: 'string', multiple: true },
      interval: { type: 'string' },
      grace: { type: 'string' },
    },
    HELP,
    true,
  );
}

async function add(name: string, values: Values, io: Io): Promise<number> {
  const kind = values.kind;
  if (kind !== 'pg_cron' && kind !== 'supabase')
    throw new CliError(`--kind must be pg_cron or supabase${kind ? ` (got "${kind}")` : ''}\n\n${HELP}`, 2);
  const s = SECRETS[kind];
  const flagValue = kind === 'pg_cron' ? values.url : values.token;
  if (flagValue !== undefined && flagValue !== '-')
    io.err(`note: --${s.flag} stays in your shell's history; ${s.env} or stdin do not\n`);
  const config: Record<string, unknown> = { [s.field]: await secretFor(kind, flagValue, io) };
  if (kind === 'supabase') {
    if (!values['project-ref']) throw new CliError(`give the project with --project-ref\n\n${HELP}`, 2);
    config.project_ref = values['project-ref'];
    if (values['api-url']) config.api_url = values['api-url'];
  }
  const body = {
    name,
    kind,
    config,
    severity: values.severity,
    tags: values.tag,
    sync_interval: seconds(values.interval, 'interval'),
    grace: seconds(values.grace, 'grace'),
  };
  const source = await clientFor(io).request<SourceView>('POST', '/sources', body);
  print(
    io,
    values.json,
    source,
    `Added ${source.kind} source "${source.name}": read every ${source.sync_interval} s (grace ${source.grace} s).\n` +
      `Its health check "${source.name}" goes down when vigil cannot read it.`,
  );
  return 0;
}

function lsText(sources: SourceView[]): string {
  if (sources.length === 0) return 'no sources';
  const rows = sources.map((s) => [
    s.name,
    s.kind,
    String(s.check_count),
    when(s.last_success_at),
    s.last_error !== null && (s.last_success_at === null || (s.last_error_at ?? '') > s.last_success_at)
      ? s.last_error
      : '-',
  ]);
  return table([['NAME', 'KIND', 'JOBS', 'LAST SUCCESS', 'ERROR'], ...rows]);
}

function syncText(source: SourceView, r: SyncReport): string {
  if (!r.ok) return `Could not read "${source.name}": ${r.error}`;
  return (
    `Read "${source.name}": ${r.jobs} job${r.jobs === 1 ? '' : 's'}, ${r.runs} run${r.runs === 1 ? '' : 's'}; ` +
    `${r.created} new, ${r.updated} changed, ${r.archived} archived.`
  );
}

function summaryText(s: Summary): string {
  const counts = (['healthy', 'failed', 'missed', 'unknown', 'late', 'paused', 'new'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k}`);
  const lines = [
    `${s.name} (${s.kind}): ${s.total} job${s.total === 1 ? '' : 's'}${counts.length ? `: ${counts.join(', ')}` : ''}; ${s.running} running`,
    `last sync: ${when(s.checked_at)}${s.last_error ? `; cannot read it: ${s.last_error}` : ''}`,
  ];
  if (s.jobs.length > 0) {
    const rows = s.jobs.map((j) => [
      j.running ? `${j.outcome}*` : j.outcome,
      j.name,
      j.slug,
      j.schedule,
      when(j.last_run_at),
      (j.last_message ?? '').replace(/\s+/g, ' ').slice(0, 80),
    ]);
    lines.push('', table([['OUTCOME', 'NAME', 'SLUG', 'SCHEDULE', 'LAST RUN', 'MESSAGE'], ...rows]));
    if (s.running > 0) lines.push('(* running)');
  }
  return lines.join('\n');
}

export const sourcesCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest);
  const early = helpOrUsage(sub, values.help, HELP, io);
  if (early !== null) return early;
  if (sub === 'ls' || sub === 'list') {
    if (positionals.length > 0) throw new CliError(`unexpected "${positionals[0]}"\n\n${HELP}`, 2);
    const { sources } = await clientFor(io).request<{ sources: SourceView[] }>('GET', '/sources');
    print(io, values.json, sources, lsText(sources));
    return 0;
  }
  if (!['add', 'rm', 'remove', 'sync', 'summary'].includes(sub!))
    throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
  if (positionals.length !== 1)
    throw new CliError(`give one source name${sub === 'add' ? '' : ' or id'}\n\n${HELP}`, 2);
  const ref = positionals[0]!;
  if (sub === 'add') return add(ref, values, io);

  const api = clientFor(io);
  const source = await findSource(api, ref);
  if (sub === 'rm' || sub === 'remove') {
    await api.request('DELETE', `/sources/${source.id}`);
    const archived = source.check_count + (source.health_check_id ? 1 : 0);
    print(
      io,
      values.json,
      { id: source.id, name: source.name, archived_checks: archived },
      `Removed "${source.name}"; its ${archived} check${archived === 1 ? ' is' : 's are'} archived (history kept).`,
    );
    return 0;
  }
  if (sub === 'sync') {
    const report = await api.request<SyncReport>('POST', `/sources/${source.id}/sync`);
    print(io, values.json, report, syncText(source, report));
    return report.ok ? 0 : 1;
  }
  const summary = await api.request<Summary>('GET', `/sources/${source.id}/summary`);
  print(io, values.json, summary, summaryText(summary));
  return summary.failed + summary.missed > 0 ? 1 : 0;
};
