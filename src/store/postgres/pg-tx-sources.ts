import { CHECK_COLUMNS, checkFromValues, SOURCE_COLUMNS, sourceValues, toSource } from '../rows.ts';
import type { Tx } from '../store.ts';
import { assignments, minOf, placeholders } from './pg-sql.ts';
import { PgChecks } from './pg-tx-checks.ts';

const SOURCE_INSERT = `INSERT INTO sources (${SOURCE_COLUMNS.join(', ')}) VALUES (${placeholders(SOURCE_COLUMNS.length)})`;
const SOURCE_UPDATE = `UPDATE sources SET ${assignments(SOURCE_COLUMNS.slice(1))} WHERE id = $${SOURCE_COLUMNS.length}`;

/** Sources and HTTP probes: the work vigil goes and looks at itself. */
export class PgSources extends PgChecks {
  async insertSource(s: Parameters<Tx['insertSource']>[0]) {
    await this.run(SOURCE_INSERT, ...sourceValues(s, this.secrets));
  }
  async getSource(id: string) {
    const row = await this.one('SELECT * FROM sources WHERE id = $1', id);
    return row ? toSource(row, this.secrets) : null;
  }
  async getSourceByName(projectId: string, name: string) {
    const row = await this.one('SELECT * FROM sources WHERE project_id = $1 AND name = $2', projectId, name);
    return row ? toSource(row, this.secrets) : null;
  }
  async listSources(projectId?: string) {
    const rows =
      projectId === undefined
        ? await this.all('SELECT * FROM sources ORDER BY project_id, name')
        : await this.all('SELECT * FROM sources WHERE project_id = $1 ORDER BY name', projectId);
    return rows.map((r) => toSource(r, this.secrets));
  }
  async updateSource(s: Parameters<Tx['updateSource']>[0]) {
    await this.run(SOURCE_UPDATE, ...sourceValues(s, this.secrets).slice(1), s.id);
  }
  async deleteSource(id: string) {
    return (await this.run('DELETE FROM sources WHERE id = $1', id)) > 0;
  }
  async claimDueSources(now: number, leaseUntil: number, limit: number) {
    // As claimNotifications: SKIP LOCKED passes over sources another node is claiming.
    const rows = await this.all(
      `UPDATE sources SET next_sync_at = $2
       WHERE id IN (SELECT id FROM sources WHERE next_sync_at <= $1 ORDER BY next_sync_at LIMIT $3
                    FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      now,
      leaseUntil,
      limit,
    );
    return rows.map((r) => toSource(r, this.secrets));
  }
  async listSourceChecks(sourceId: string) {
    return this.checks('WHERE source_id = $1 ORDER BY slug', sourceId);
  }
  async claimDueProbes(now: number, leaseUntil: number, limit: number) {
    const result = await this.db.query<unknown[]>({
      text: `WITH due AS (
               SELECT id FROM checks WHERE probe_next_at IS NOT NULL AND probe_next_at <= $1
               ORDER BY probe_next_at LIMIT $3 FOR UPDATE SKIP LOCKED
             )
             UPDATE checks c SET probe_next_at = $2 FROM due WHERE c.id = due.id
             RETURNING ${CHECK_COLUMNS.map((col) => `c.${col}`).join(', ')}`,
      values: [now, leaseUntil, limit],
      rowMode: 'array',
    });
    return result.rows.map(checkFromValues);
  }
  async setProbeNextAt(checkId: string, at: number | null) {
    await this.run('UPDATE checks SET probe_next_at = $2 WHERE id = $1', checkId, at);
  }
  async earliestProbeDue() {
    return minOf(
      await this.one('SELECT MIN(probe_next_at) AS t FROM checks WHERE probe_next_at IS NOT NULL'),
    );
  }
}
