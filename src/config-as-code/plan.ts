// What `vigil apply` would change: a pure diff between the file and the server's state as the
// API shows it. Fields a file leaves out are not managed (the server keeps what it has), so a
// short hand-written file stays short and still applies as a no-op the second time.
import { parseConfig, unknownKindMessage } from '../channels/channel-changes.ts';
import { getNotifier, maskSecrets } from '../notifiers/registry.ts';
import { hasMask, same, sameShown } from './compare.ts';
import { checkOp } from './plan-checks.ts';
import type { ConfigFile, FileChannel, FilePath, FileWindow } from './schema.ts';

export interface CurrentCheck {
  id: string;
  slug: string;
  name: string;
  description: string;
  tags: string[];
  schedule: Record<string, unknown> & { kind: string; grace?: number };
  max_runtime: number | null;
  failure_threshold: number;
  severity: string;
  channels: string[];
  realert_every: number | null;
  success_criteria?: string;
  /** push (pinged) or http (probed by vigil) */
  kind?: string;
  probe?: Record<string, unknown> | null;
  /** the source that discovered it, which owns its name, slug and schedule */
  source?: { id: string; key: string } | null;
  archived_at?: string | null;
}

export interface CurrentSource {
  id: string;
  name: string;
}

export interface CurrentChannel {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  events: string[];
  min_severity: string;
  max_severity: string;
  tags: string[];
}

export interface CurrentWindow {
  id: string;
  name: string;
  kind: 'once' | 'recurring';
  starts_at: string | null;
  ends_at: string | null;
  cron: string | null;
  duration: number | null;
  timezone: string | null;
  checks: string[];
  tags: string[];
}

export interface CurrentState {
  checks: CurrentCheck[];
  channels: CurrentChannel[];
  maintenance: CurrentWindow[];
  /** to name the source of a discovered check; its id stands in when unknown */
  sources?: CurrentSource[];
}

export type Op =
  | {
      action: 'create' | 'update';
      type: 'channel';
      key: string;
      path: FilePath;
      fields: string[];
      id?: string;
      body: Record<string, unknown>;
    }
  | {
      action: 'create' | 'update';
      type: 'check';
      key: string;
      path: FilePath;
      fields: string[];
      body: Record<string, unknown>;
      channels?: string[];
      /** a check a source discovered: only its team-owned fields are sent, to this id */
      discovered?: { id: string };
    }
  | {
      action: 'create' | 'update';
      type: 'maintenance';
      key: string;
      path: FilePath;
      fields: string[];
      id?: string;
      body: Record<string, unknown>;
      checks: string[];
    }
  | { action: 'delete'; type: 'channel' | 'check' | 'maintenance'; key: string; id: string };

export interface Problem {
  path: FilePath;
  message: string;
}

export interface Plan {
  /** in the order to apply them: channels, checks, windows, then deletes */
  ops: Op[];
  unchanged: number;
  /** on the server, not in the file, and kept (no --prune) */
  unmanaged: number;
  /** checks sources discovered that the file leaves out: kept, --prune or not (their sources own them) */
  fromSources: number;
  problems: Problem[];
}

/**
 * Whether a channel's stored config (masked, as read) differs from the file's. The file's
 * config is read the way the server would store it (defaults filled in); a plain secret is
 * compared by its masked form, a masked one means "keep", and a secret left out is kept.
 */
export function configChanged(
  kind: string,
  desired: Record<string, unknown>,
  current: Record<string, unknown>,
): boolean {
  const parsed = parseConfig(kind, desired);
  const full = parsed.success ? parsed.data : desired;
  const shown = maskSecrets(kind, full);
  const secrets = new Set(getNotifier(kind)?.secretFields ?? []);
  for (const key of new Set([...Object.keys(full), ...Object.keys(current)])) {
    if (!(key in full)) {
      // left out: a secret is kept; with defaults unknown (masked values failed the schema), so is the rest
      if (secrets.has(key) || !parsed.success) continue;
      return true;
    }
    if (!(key in current) || !sameShown(desired[key] ?? full[key], shown[key], current[key])) return true;
  }
  return false;
}

function channelOp(d: FileChannel, i: number, c: CurrentChannel | undefined, problems: Problem[]): Op | null {
  const path = ['channels', i];
  if (!getNotifier(d.kind)) {
    problems.push({ path: [...path, 'kind'], message: unknownKindMessage(d.kind) });
    return null;
  }
  const rule = { events: d.events, min_severity: d.min_severity, max_severity: d.max_severity, tags: d.tags };
  const defined = Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined));
  if (!c) {
    const masked = Object.entries(d.config).filter(([, value]) => hasMask(value));
    for (const [key] of masked) {
      problems.push({
        path: [...path, 'config', key],
        message: 'a masked value keeps a stored secret, and this channel is new: write the real value',
      });
    }
    const parsed = parseConfig(d.kind, d.config);
    if (masked.length === 0 && !parsed.success)
      for (const issue of parsed.error.issues)
        problems.push({
          path: [...path, 'config', ...(issue.path as (string | number)[])],
          message: issue.message,
        });
    return {
      action: 'create',
      type: 'channel',
      key: d.name,
      path,
      fields: [],
      body: { name: d.name, kind: d.kind, config: d.config, ...defined },
    };
  }
  if (c.kind !== d.kind) {
    problems.push({
      path: [...path, 'kind'],
      message: `is "${c.kind}" on the server and cannot change; use a new name`,
    });
    return null;
  }
  const fields = Object.entries(defined)
    .filter(([k, v]) => !same(v, c[k as keyof CurrentChannel]))
    .map(([k]) => k);
  if (configChanged(d.kind, d.config, c.config)) fields.unshift('config');
  if (fields.length === 0) return null;
  return {
    action: 'update',
    type: 'channel',
    key: d.name,
    path,
    fields,
    id: c.id,
    body: { config: d.config, ...defined },
  };
}

function windowBody(d: FileWindow): Record<string, unknown> {
  const scope = { name: d.name, tags: d.tags ?? [] };
  return d.cron !== undefined
    ? { ...scope, cron: d.cron, duration: d.duration, timezone: d.timezone ?? 'UTC' }
    : { ...scope, starts_at: d.starts_at, ends_at: d.ends_at };
}

function windowOp(
  d: FileWindow,
  i: number,
  c: CurrentWindow | undefined,
  checkSlug: (id: string) => string,
): Op | null {
  const body = windowBody(d);
  const checks = d.checks ?? [];
  const path = ['maintenance', i];
  if (!c) return { action: 'create', type: 'maintenance', key: d.name, path, fields: [], body, checks };
  const time = (t: unknown) => (typeof t === 'string' ? Date.parse(t) : null);
  const fields: string[] = [];
  if (d.cron !== undefined) {
    if (c.kind !== 'recurring') fields.push('kind');
    for (const f of ['cron', 'duration', 'timezone'] as const) if (!same(body[f], c[f])) fields.push(f);
  } else {
    if (c.kind !== 'once') fields.push('kind');
    for (const f of ['starts_at', 'ends_at'] as const) if (time(body[f]) !== time(c[f])) fields.push(f);
  }
  if (!same([...checks].sort(), c.checks.map(checkSlug).sort())) fields.push('checks');
  if (!same(body.tags, c.tags)) fields.push('tags');
  return fields.length === 0
    ? null
    : { action: 'update', type: 'maintenance', key: d.name, path, fields, id: c.id, body, checks };
}

/** The changes that make the server match `file`; deletes only with `prune`. */
export function plan(file: ConfigFile, current: CurrentState, opts: { prune: boolean }): Plan {
  const problems: Problem[] = [];
  const ops: Op[] = [];
  const deletes: Op[] = [];
  let unchanged = 0;
  let unmanaged = 0;
  let fromSources = 0;
  const byKey = <T, K extends keyof T>(items: T[], key: K) => new Map(items.map((x) => [x[key], x]));

  const channels = byKey(current.channels, 'name');
  const channelNames = new Map(current.channels.map((ch) => [ch.id, ch.name]));
  const knownChannels = new Set([...channels.keys(), ...(file.channels ?? []).map((ch) => ch.name)]);
  const checks = byKey(current.checks, 'slug');
  const checkSlugs = new Map(current.checks.map((ch) => [ch.id, ch.slug]));
  const sourceNames = new Map((current.sources ?? []).map((s) => [s.id, s.name]));
  const knownChecks = new Set([...checks.keys(), ...(file.checks ?? []).map((ch) => ch.slug)]);

  const sections = [
    ['channel', file.channels, current.channels, (ch: CurrentChannel) => ch.name],
    ['check', file.checks, current.checks, (ch: CurrentCheck) => ch.slug],
    ['maintenance', file.maintenance, current.maintenance, (w: CurrentWindow) => w.name],
  ] as const;

  for (const [i, d] of (file.channels ?? []).entries()) {
    const op = channelOp(d, i, channels.get(d.name), problems);
    if (op) ops.push(op);
    else unchanged++;
  }
  for (const [i, d] of (file.checks ?? []).entries()) {
    for (const [j, name] of (d.channels ?? []).entries()) {
      if (!knownChannels.has(name))
        problems.push({
          path: ['checks', i, 'channels', j],
          message: `no channel named "${name}" in the file or on the server`,
        });
    }
    const op = checkOp(d, i, checks.get(d.slug), {
      channelName: (id) => channelNames.get(id) ?? id,
      sourceName: (id) => sourceNames.get(id) ?? id,
      problems,
    });
    if (op) ops.push(op);
    else unchanged++;
  }
  for (const [i, d] of (file.maintenance ?? []).entries()) {
    for (const [j, slug] of (d.checks ?? []).entries()) {
      if (!knownChecks.has(slug))
        problems.push({
          path: ['maintenance', i, 'checks', j],
          message: `no check with slug "${slug}" in the file or on the server`,
        });
    }
    const op = windowOp(
      d,
      i,
      byKey(current.maintenance, 'name').get(d.name),
      (id) => checkSlugs.get(id) ?? id,
    );
    if (op) ops.push(op);
    else unchanged++;
  }
  // windows before checks before channels: each may name the next
  for (const [type, desired, existing, keyOf] of [...sections].reverse()) {
    if (desired === undefined) {
      unmanaged += existing.length;
      continue;
    }
    const wanted = new Set<string>(desired.map((d) => ('slug' in d ? d.slug : d.name)));
    for (const item of existing as { id: string; source?: unknown }[]) {
      const key = (keyOf as (x: unknown) => string)(item);
      if (wanted.has(key)) continue;
      // a source's checks come and go with its jobs; a file never deletes them
      if (type === 'check' && item.source) fromSources++;
      else if (opts.prune) deletes.push({ action: 'delete', type, key, id: item.id });
      else unmanaged++;
    }
  }
  return { ops: [...ops, ...deletes], unchanged, unmanaged, fromSources, problems };
}

/** `+ check nightly-backup`, `~ check db-vacuum: schedule, grace`, `- channel old-hook`. */
export function describeOp(op: Op): string {
  if (op.action === 'create') return `+ ${op.type} ${op.key}`;
  if (op.action === 'delete') return `- ${op.type} ${op.key}`;
  return `~ ${op.type} ${op.key}: ${op.fields.join(', ')}`;
}
