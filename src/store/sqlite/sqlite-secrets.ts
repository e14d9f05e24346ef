// The secret columns on SQLite (better-sqlite3 and D1 alike), for Store.sealSecrets and
// Store.rotateSecrets.
import type { SecretRows, SecretTable } from '../stored-secrets.ts';
import { rotationConflict, SECRET_KEY_META, secretContext } from '../stored-secrets.ts';
import type { SqlPort } from './sql-port.ts';

export function sqliteSecretRows(port: SqlPort): SecretRows {
  return {
    async configs() {
      const rows = await port.all(
        "SELECT 'channels' AS t, id, project_id, config FROM channels UNION ALL SELECT 'sources' AS t, id, project_id, config FROM sources",
        [],
      );
      return rows.map((r) => ({
        table: r.t as SecretTable,
        id: String(r.id),
        projectId: String(r.project_id),
        config: String(r.config),
      }));
    },
    async replace(table, id, from, to) {
      // the table name is one of two constants, never input
      await port.run(`UPDATE ${table} SET config = ? WHERE id = ? AND config = ?`, [to, id, from]);
    },
    async reseal(table, id, from, to) {
      // expect 1: on D1 the batch checks it at commit, and this answers the 1 it expects
      const { changes } = await port.run(
        `UPDATE ${table} SET config = ? WHERE id = ? AND config = ?`,
        [to, id, from],
        1,
      );
      if (changes !== 1) throw rotationConflict(secretContext(table, id));
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
    async setKeyId(keyId, replacing) {
      const { changes } =
        replacing === null
          ? await port.run(
              'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
              [SECRET_KEY_META, keyId],
              1,
            )
          : await port.run(
              'UPDATE meta SET value = ? WHERE key = ? AND value = ?',
              [keyId, SECRET_KEY_META, replacing],
              1,
            );
      if (changes !== 1) throw rotationConflict('the recorded key id');
    },
  };
}
