// The server's side of config as code: reading a project's state through /api/v1, applying a
// plan to it, and writing the state as a file that applies as a no-op.
import type { ApiClient } from '../cli/api-client.ts';
import type { CurrentChannel, CurrentCheck, CurrentSource, CurrentState, CurrentWindow, Op } from './plan.ts';
import type { ConfigFile, FileChannel, FileCheck } from './schema.ts';

export async function fetchState(api: ApiClient): Promise<CurrentState> {
  const checks: CurrentCheck[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await api.request<{ checks: CurrentCheck[]; next_cursor: string | null }>(
      'GET',
      `/checks?limit=500${query}`,
    );
    checks.push(...page.checks);
    cursor = page.next_cursor;
  } while (cursor !== null);
  const { channels } = await api.request<{ channels: CurrentChannel[] }>('GET', '/channels');
  const { maintenance } = await api.request<{ maintenance: CurrentWindow[] }>('GET', '/maintenance');
  const { sources } = await api.request<{ sources: CurrentSource[] }>('GET', '/sources');
  return { checks, channels, maintenance, sources };
}

/** An op the server refused, with the server's error (a CliError carrying its message). */
export class OpFailed extends Error {
  constructor(
    readonly op: Op,
    readonly error: unknown,
  ) {
    super((error as Error).message);
  }
}

const PATHS = { channel: '/channels', check: '/checks', maintenance: '/maintenance' } as const;

/**
 * Applies the ops in their order. Channels and checks made earlier in the run are known by
 * their new ids, so a check can name a channel that the same file adds.
 */
export async function applyOps(api: ApiClient, ops: Op[], current: CurrentState): Promise<void> {
  const channelIds = new Map(current.channels.map((ch) => [ch.name, ch.id]));
  const checkIds = new Map(current.checks.map((ch) => [ch.slug, ch.id]));
  const ids = (names: string[], known: Map<string, string>) => names.map((n) => known.get(n) ?? n);
  for (const op of ops) {
    try {
      await applyOp(op);
    } catch (err) {
      throw new OpFailed(op, err);
    }
  }

  async function applyOp(op: Op): Promise<void> {
    if (op.action === 'delete') {
      await api.request('DELETE', `${PATHS[op.type]}/${op.id}`);
    } else if (op.type === 'channel') {
      const saved =
        op.action === 'create'
          ? await api.request<{ id: string }>('POST', '/channels', op.body)
          : await api.request<{ id: string }>('PATCH', `/channels/${op.id}`, op.body);
      channelIds.set(op.key, saved.id);
    } else if (op.type === 'check') {
      const body = op.channels ? { ...op.body, channels: ids(op.channels, channelIds) } : op.body;
      if (op.discovered) {
        // a source owns the rest of the check: only the team's fields go, by id
        await api.request('PATCH', `/checks/${op.discovered.id}`, body);
        return;
      }
      const saved = await api.request<{ id: string }>(
        'PUT',
        `/checks/by-slug/${encodeURIComponent(op.key)}`,
        body,
      );
      checkIds.set(op.key, saved.id);
    } else {
      const body = { ...op.body, checks: ids(op.checks, checkIds) };
      if (op.action === 'create') await api.request('POST', '/maintenance', body);
      else await api.request('PATCH', `/maintenance/${op.id}`, body);
    }
  }
}

/**
 * The state as a config file: every managed field written out, secrets as the API masks them.
 * A check a source discovered is written with the source's name and only the team's fields.
 */
export function stateToFile(state: CurrentState): ConfigFile {
  const channelNames = new Map(state.channels.map((ch) => [ch.id, ch.name]));
  const checkSlugs = new Map(state.checks.map((ch) => [ch.id, ch.slug]));
  const sourceNames = new Map((state.sources ?? []).map((s) => [s.id, s.name]));
  return {
    checks: state.checks
      .filter((c) => !c.archived_at)
      .map((c) => {
        const team = {
          description: c.description,
          success_criteria: c.success_criteria ?? '',
          tags: c.tags,
          max_runtime: c.max_runtime,
          failure_threshold: c.failure_threshold,
          severity: c.severity as FileCheck['severity'],
          channels: c.channels.map((id) => channelNames.get(id) ?? id),
          realert_every: c.realert_every,
        };
        if (c.source) return { slug: c.slug, source: sourceNames.get(c.source.id) ?? c.source.id, ...team };
        const probe =
          c.kind === 'http' && c.probe ? { kind: 'http' as const, probe: c.probe as FileCheck['probe'] } : {};
        return {
          slug: c.slug,
          name: c.name,
          schedule: c.schedule as FileCheck['schedule'],
          ...probe,
          ...team,
        };
      }),
    channels: state.channels.map((ch) => ({
      name: ch.name,
      kind: ch.kind,
      config: ch.config,
      events: ch.events as FileChannel['events'],
      min_severity: ch.min_severity as FileChannel['min_severity'],
      max_severity: ch.max_severity as FileChannel['max_severity'],
      tags: ch.tags,
    })),
    maintenance: state.maintenance.map((w) => ({
      name: w.name,
      ...(w.kind === 'recurring'
        ? { cron: w.cron!, duration: w.duration!, timezone: w.timezone! }
        : { starts_at: w.starts_at!, ends_at: w.ends_at! }),
      checks: w.checks.map((id) => checkSlugs.get(id) ?? id),
      tags: w.tags,
    })),
  };
}
