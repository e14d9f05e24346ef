// The secret columns on PostgreSQL, for Store.sealSecrets: on the one client of its transaction.
import type { SecretRows, SecretTable } from '../stored-secrets.ts';
import { SECRET_KEY_META } from '../stored-secrets.ts';
import type { Queryable } from './pg-sql.ts';

export function pgSecretRows(db: Queryable): SecretRows {
  return {
    async configs() {
      const { rows } = await db.query<{ t: SecretTable; id: string; config: string }>(
        "SELECT 'channels' AS t, id, config FROM channels UNION ALL SELECT 'sources', id, config FROM sources",
      );
      return rows.map((r) => ({ table: r.t, id: r.id, config: r.config }));
    },
    async replace(table, id, from, to) {
      // Only while it is still plain: nodes starting together both try, and the later UPDATE
      // waits for the earlier one's row and then finds it sealed. (The table is a constant.)
      await db.query(`UPDATE ${table} SET config = $1 WHERE id = $2 AND config = $3`, [to, id, from]);
    },
    async recordedKeyId() {
      const { rows } = await db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
        SECRET_KEY_META,
      ]);
      return rows[0]?.value ?? null;
    },
    async claimKeyId(keyId) {
      // a concurrent claim waits for the first one's commit, then does nothing and reads it
      await db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
        SECRET_KEY_META,
        keyId,
      ]);
      return (await this.recordedKeyId()) ?? keyId;
    },
  };
}
