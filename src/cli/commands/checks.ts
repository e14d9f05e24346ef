// `vigil checks ls|show`: the project's checks as the API shows them.
import { UUID_PATTERN } from '../../core/ids.ts';
import { type ApiClient, apiClient } from '../api-client.ts';
import { loadClientConfig, requireApiKey } from '../client-config.ts';
import { CliError, type Command, helpOrUsage, type Io, parseFlags, print } from '../io.ts';

const HELP = `Usage:
  vigil checks ls [--tag T] [--status new|up|late|down|paused] [--json]
  vigil checks show <check> [--json]     <check>: the UUID or the slug

Needs an API key (VIGIL_API_KEY, or "api_key" in the config file).
`;

/** The fields of the API's check these commands use. */
export interface CheckView {
  id: string;
  name: string;
  slug: string;
  status: string;
  running: boolean;
  schedule_text: string;
  tags: string[];
  last_ping_at: string | null;
  next_deadline: string | null;
  status_changed_at: string;
  ping_url: string;
  [field: string]: unknown;
}

export function clientFor(io: Io): ApiClient {
  const config = loadClientConfig(io.env);
  return apiClient({ url: config.url, apiKey: requireApiKey(config) });
}

/** Every page of GET /checks. */
export async function listAllChecks(api: ApiClient, filter: Record<string, string | undefined> = {}) {
  const all: CheckView[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: '500' });
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, v);
    if (cursor) q.set('cursor', cursor);
    const page: { checks: CheckView[]; next_cursor: string | null } = await api.request(
      'GET',
      `/checks?${q}`,
    );
    all.push(...page.checks);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

export async function findCheck(api: ApiClient, ref: string): Promise<CheckView> {
  if (UUID_PATTERN.test(ref)) return api.request('GET', `/checks/${ref}`);
  const [check] = await listAllChecks(api, { slug: ref });
  if (!check || check.slug !== ref) throw new CliError(`no check with slug "${ref}" (see vigil checks ls)`);
  return check;
}

/** "3 min ago"-style times are tempting, but a table that stays true when pasted wins. */
const when = (iso: string | null) => (iso === null ? 'never' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function statusText(c: CheckView): string {
  return c.running ? `${c.status}*` : c.status;
}

function showText(c: CheckView): string {
  const lines: [string, string][] = [
    ['name', c.name],
    ['slug', c.slug],
    ['id', c.id],
    ['status', `${c.status}${c.running ? ' (running)' : ''} since ${when(c.status_changed_at)}`],
    ['schedule', c.schedule_text],
    ['tags', c.tags.join(', ') || '-'],
    ['last ping', when(c.last_ping_at)],
    ['next deadline', when(c.next_deadline)],
    ['ping URL', c.ping_url],
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`).join('\n');
}

export const checksCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(
    rest,
    { json: { type: 'boolean' }, tag: { type: 'string' }, status: { type: 'string' } },
    HELP,
    true,
  );
  const early = helpOrUsage(sub, values.help, HELP, io);
  if (early !== null) return early;
  if (sub === 'ls' || sub === 'list') {
    if (positionals.length > 0) throw new CliError(`unexpected "${positionals[0]}"\n\n${HELP}`, 2);
    const checks = await listAllChecks(clientFor(io), { tag: values.tag, status: values.status });
    const rows = checks.map((c) => [statusText(c), c.name, c.slug, c.schedule_text, when(c.last_ping_at)]);
    const text =
      checks.length === 0
        ? 'no checks'
        : table([['STATUS', 'NAME', 'SLUG', 'SCHEDULE', 'LAST PING'], ...rows]);
    print(io, values.json, checks, checks.some((c) => c.running) ? `${text}\n(* running)` : text);
    return 0;
  }
  if (sub === 'show') {
    if (positionals.length !== 1) throw new CliError(`give one check (UUID or slug)\n\n${HELP}`, 2);
    const check = await findCheck(clientFor(io), positionals[0]!);
    print(io, values.json, check, showText(check));
    return 0;
  }
  throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
};
