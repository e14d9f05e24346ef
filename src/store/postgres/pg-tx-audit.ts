import { AUDIT_COLUMNS, auditPage, auditPageQuery, auditValues } from '../audit-rows.ts';
import type { Tx } from '../store.ts';
import { PgSql, placeholders } from './pg-sql.ts';

const AUDIT_INSERT = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${placeholders(AUDIT_COLUMNS.length)})`;

/** The audit log: who changed what in a project. */
export class PgAudit extends PgSql {
  async insertAudit(e: Parameters<Tx['insertAudit']>[0]) {
    await this.run(AUDIT_INSERT, ...auditValues(e));
  }
  async listAudit(
    projectId: string,
    filter: Parameters<Tx['listAudit']>[1],
    page: Parameters<Tx['listAudit']>[2],
  ) {
    const { sql, params } = auditPageQuery(projectId, filter, page, (n) => `$${n}`);
    return auditPage(await this.all(sql, ...params), page.limit);
  }
  async pruneAudit(before: number, limit: number) {
    return this.run(
      'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)',
      before,
      limit,
    );
  }
}
