// The part of `vigil apply`'s plan that is about checks: the team's own checks, and the ones a
// source discovered, whose name and schedule follow the job at the source and so are not the
// file's to change.
import { maskProbeHeaders } from '../probes/probe-headers.ts';
import { same, sameShown } from './compare.ts';
import type { CurrentCheck, Op, Problem } from './plan.ts';
import type { FileCheck } from './schema.ts';

/** What the team decides about any check, discovered or not. */
const TEAM_FIELDS = [
  'description',
  'tags',
  'max_runtime',
  'failure_threshold',
  'severity',
  'realert_every',
  'success_criteria',
] as const;

const CHECK_FIELDS = ['name', ...TEAM_FIELDS] as const;

export interface CheckContext {
  /** a channel's name by id (the API names channels by id, the file by name) */
  channelName(id: string): string;
  sourceName(id: string): string;
  problems: Problem[];
}

/** The schedule as the API takes it, with a top-level `grace` moved inside. */
export function scheduleOf(d: FileCheck): Record<string, unknown> | undefined {
  if (d.schedule === undefined) return undefined;
  const s: Record<string, unknown> = { ...d.schedule };
  if (d.grace !== undefined && s.kind !== 'none') s.grace = d.grace;
  return s;
}

/** Which of schedule and grace the file would change. */
function scheduleFields(d: FileCheck, c: CurrentCheck): string[] {
  const schedule = scheduleOf(d);
  if (schedule === undefined) return [];
  const { grace: wantGrace, ...wantSchedule } = schedule;
  const { grace: haveGrace, ...haveSchedule } = c.schedule;
  const fields: string[] = [];
  if (!same(wantSchedule, haveSchedule)) fields.push('schedule');
  if (wantGrace !== undefined && wantGrace !== haveGrace) fields.push('grace');
  return fields;
}

/** Whether the file's probe differs from the shown one; a masked header value keeps the stored one. */
function probeChanged(want: FileCheck['probe'], have: CurrentCheck['probe']): boolean {
  if (want === undefined) return false;
  if (want === null || have === null || have === undefined) return want !== (have ?? null);
  return !sameShown(want, { ...want, headers: maskProbeHeaders(want.headers) }, have);
}

function changedFields(
  d: FileCheck,
  c: CurrentCheck,
  fields: readonly string[],
  ctx: CheckContext,
): string[] {
  const changed = fields.filter((f) => {
    const want = d[f as keyof FileCheck];
    const have = f === 'success_criteria' ? (c.success_criteria ?? '') : c[f as keyof CurrentCheck];
    return want !== undefined && !same(want, have);
  });
  if (d.channels && !same([...d.channels].sort(), c.channels.map(ctx.channelName).sort()))
    changed.push('channels');
  return changed;
}

export function checkOp(d: FileCheck, i: number, c: CurrentCheck | undefined, ctx: CheckContext): Op | null {
  if (d.source !== undefined || c?.source) return discoveredOp(d, i, c, ctx);
  const body: Record<string, unknown> = { schedule: scheduleOf(d) };
  for (const f of CHECK_FIELDS) if (d[f] !== undefined) body[f] = d[f];
  if (d.kind !== undefined) body.kind = d.kind;
  if (d.probe !== undefined) body.probe = d.probe;
  const path = ['checks', i];
  const base = {
    type: 'check',
    key: d.slug,
    path,
    body,
    ...(d.channels ? { channels: d.channels } : {}),
  } as const;
  if (!c) return { ...base, action: 'create', fields: [] };
  const fields = changedFields(d, c, CHECK_FIELDS, ctx);
  fields.push(...scheduleFields(d, c));
  if (d.kind !== undefined && d.kind !== (c.kind ?? 'push')) fields.push('kind');
  if (probeChanged(d.probe, c.probe)) fields.push('probe');
  return fields.length === 0 ? null : { ...base, action: 'update', fields };
}

/**
 * A check a source made: the file may set the team's fields on it, and may repeat the
 * source's fields as they are (an export does), but not change them.
 */
function discoveredOp(d: FileCheck, i: number, c: CurrentCheck | undefined, ctx: CheckContext): Op | null {
  const path = ['checks', i];
  const problem = (at: (string | number)[], message: string) => {
    ctx.problems.push({ path: [...path, ...at], message });
    return null;
  };
  if (!c) {
    return problem(
      ['source'],
      `no check "${d.slug}" on the server yet: a source makes its checks when it reads its jobs (vigil sources sync ${d.source})`,
    );
  }
  if (!c.source) {
    return problem(
      ['source'],
      `"${d.slug}" is not from a source; remove "source" to manage it as your own check`,
    );
  }
  const owner = ctx.sourceName(c.source.id);
  if (d.source !== undefined && d.source !== owner)
    return problem(['source'], `"${d.slug}" comes from source "${owner}", not "${d.source}"`);
  const owned = scheduleFields(d, c);
  if (d.name !== undefined && d.name !== c.name) owned.unshift('name');
  if (d.kind !== undefined && d.kind !== (c.kind ?? 'push')) owned.push('kind');
  if (d.probe !== undefined && d.probe !== null) owned.push('probe');
  for (const field of owned) {
    problem(
      [field],
      `owned by source "${owner}": it follows the job there. Remove it from the file; the team sets ${TEAM_FIELDS.join(', ')} and channels`,
    );
  }
  if (owned.length > 0) return null;

  const fields = changedFields(d, c, TEAM_FIELDS, ctx);
  if (fields.length === 0) return null;
  const body: Record<string, unknown> = {};
  for (const f of TEAM_FIELDS) if (d[f] !== undefined) body[f] = d[f];
  return {
    action: 'update',
    type: 'check',
    key: d.slug,
    path,
    fields,
    body,
    ...(d.channels ? { channels: d.channels } : {}),
    discovered: { id: c.id },
  };
}
