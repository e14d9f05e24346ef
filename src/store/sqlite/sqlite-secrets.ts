// The secret columns on SQLite (better-sqlite3 and D1 alike), for Store.sealSecrets.
import type { SecretRows, SecretTable } from '../stored-secrets.ts';
import { SECRET_KEY_META } from '../stored-secrets.ts';
import type { SqlPort } from './sql-port.ts';

export function sqliteSecretRows(port: SqlPort): SecretRows {
  return {
    async configs() {
      const rows = await port.all(
        "SELECT 'channels' AS t, id, config FROM channels UNION ALL SELECT 'sources' AS t, id, config FROM sources",
        [],
      );
      return rows.map((r) => ({ table: r.t as SecretTable, id: String(r.id), config: String(r.config) }));
    },
    async replace(table, id, from, to) {
      // the table name is one of two constants, never input
      await port.run(`UPDATE ${table} SET config = ? WHERE id = ? AND config = ?`, [to, id, from]);
    },
    async recordedKeyId() {
      const row = (await port.all('SELECT value FROM meta WHERE key = ?', [SECRET_KEY_META]))[0];
      return row ? String(row.value) : null;
    },
    async claimKeyId(keyId) {
      await port.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
        SECRET_KEY_META,
        keyId,
      ]);
      // on D1 the INSERT waits for the batch; until then this reads what is committed (none)
      return (await this.recordedKeyId()) ?? keyId;
    },
  };
}
