// The audit log's rows and its one query, shared by every engine: columns in insert order, the
// conversion back, and a page of a project's log (newest first, paged by the (at, id) of the
// last entry shown).
import { decodeCursor, encodeCursor, type Row } from './rows.ts';
import type { AuditEntry, AuditFilter, NewAuditEntry, Page } from './store.ts';

export const AUDIT_COLUMNS = [
  'project_id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_label',
  'address',
  'action',
  'target_kind',
  'target_id',
  'target_name',
  'changes',
] as const;

export const auditValues = (e: NewAuditEntry): unknown[] => [
  e.projectId,
  e.at,
  e.actorKind,
  e.actorId,
  e.actorLabel,
  e.address,
  e.action,
  e.targetKind,
  e.targetId,
  e.targetName,
  e.changes === null ? null : JSON.stringify(e.changes),
];

const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export const toAuditEntry = (r: Row): AuditEntry => ({
  id: Number(r.id),
  projectId: String(r.project_id),
  at: Number(r.at),
  actorKind: r.actor_kind as AuditEntry['actorKind'],
  actorId: strOrNull(r.actor_id),
  actorLabel: String(r.actor_label),
  address: strOrNull(r.address),
  action: String(r.action),
  targetKind: String(r.target_kind),
  targetId: String(r.target_id),
  targetName: String(r.target_name),
  changes: r.changes === null || r.changes === undefined ? null : JSON.parse(String(r.changes)),
});

/** Whether `cursor` is a next cursor listAudit made (the API refuses others). */
export function isAuditCursor(cursor: string): boolean {
  return cursorKey(cursor) !== null;
}

function cursorKey(cursor: string): [number, number] | null {
  const key = decodeCursor(cursor);
  const [at, id] = key?.map(Number) ?? [];
  return Number.isSafeInteger(at) && Number.isSafeInteger(id) ? [at!, id!] : null;
}

/**
 * The SELECT of one page, one row past the limit (to know whether there is a next page).
 * `mark(n)` writes the n-th placeholder: `?` on SQLite, `$n` on PostgreSQL.
 */
export function auditPageQuery(
  projectId: string,
  filter: AuditFilter,
  page: Page,
  mark: (n: number) => string,
): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, ...values: unknown[]) => {
    conditions.push(condition.replace(/\?/g, () => mark(params.push(values.shift()))));
  };
  add('project_id = ?', projectId);
  if (filter.targetKind !== undefined) add('target_kind = ?', filter.targetKind);
  if (filter.targetId !== undefined) add('target_id = ?', filter.targetId);
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.since !== undefined) add('at >= ?', filter.since);
  if (filter.until !== undefined) add('at < ?', filter.until);
  const cursor = typeof page.after === 'string' ? cursorKey(page.after) : null;
  if (cursor) add('(at < ? OR (at = ? AND id < ?))', cursor[0], cursor[0], cursor[1]);
  params.push(page.limit + 1);
  const sql = `SELECT * FROM audit_log WHERE ${conditions.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${mark(params.length)}`;
  return { sql, params };
}

/** The page's entries and the cursor of the next page, from the rows auditPageQuery read. */
export function auditPage(rows: Row[], limit: number): { entries: AuditEntry[]; next: string | null } {
  const entries = rows.slice(0, limit).map(toAuditEntry);
  const last = entries.at(-1);
  return {
    entries,
    next: rows.length > limit && last ? encodeCursor([String(last.at), String(last.id)]) : null,
  };
}
