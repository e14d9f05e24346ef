// `vigil status`: one screen for a terminal or a script: counts, then what is down or late.

import { formatDuration } from '../../core/schedule.ts';
import { STATUSES } from '../../core/types.ts';
import { type Command, parseFlags, print } from '../io.ts';
import { type CheckView, clientFor, listAllChecks } from './checks.ts';

const HELP = `Usage:
  vigil status [--json]

Counts the project's checks by status, then lists each down check ("down since <time>
(<how long>)") and each late one.
Exit status: 0 when no check is down, 1 when at least one is (late checks do not count),
so scripts can use it: vigil status >/dev/null || echo "something is down".
Needs an API key (VIGIL_API_KEY, or "api_key" in the config file).
`;

const at = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function entry(c: CheckView, now: number) {
  return {
    id: c.id,
    name: c.name,
    slug: c.slug,
    since: c.status_changed_at,
    for_ms: Math.max(0, now - Date.parse(c.status_changed_at)),
  };
}

export const statusCommand: Command = async (args, io) => {
  const { values } = parseFlags(args, { json: { type: 'boolean' } }, HELP);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const checks = await listAllChecks(clientFor(io));
  const now = Date.now();
  const counts = Object.fromEntries(STATUSES.map((s) => [s, checks.filter((c) => c.status === s).length]));
  const down = checks.filter((c) => c.status === 'down').map((c) => entry(c, now));
  const late = checks.filter((c) => c.status === 'late').map((c) => entry(c, now));

  const lines = [
    `${checks.length} check${checks.length === 1 ? '' : 's'}: ${STATUSES.filter((s) => counts[s])
      .map((s) => `${counts[s]} ${s}`)
      .join(', ')}`.replace(/: $/, ''),
  ];
  for (const [word, list] of [
    ['down', down],
    ['late', late],
  ] as const) {
    if (list.length === 0) continue;
    lines.push('', `${word[0]!.toUpperCase()}${word.slice(1)}:`);
    for (const e of list) {
      lines.push(`  ${e.name} (${e.slug}): ${word} since ${at(e.since)} (${formatDuration(e.for_ms)})`);
    }
  }
  if (down.length === 0) lines.push('', 'Nothing is down.');
  print(io, values.json, { total: checks.length, counts, down, late }, lines.join('\n'));
  return down.length > 0 ? 1 : 0;
};
