// The secret columns on PostgreSQL, for Store.sealSecrets and Store.rotateSecrets: on the one
// client of its transaction.
import pg from 'pg';
import type { SecretRows, SecretTable } from '../stored-secrets.ts';
import { rotationConflict, SECRET_KEY_META, secretContext } from '../stored-secrets.ts';
import { APP_NAME } from './pg-notify.ts';
import type { Queryable } from './pg-sql.ts';

export function pgSecretRows(db: Queryable): SecretRows {
  return {
    async configs() {
      const { rows } = await db.query<{ t: SecretTable; id: string; project_id: string; config: string }>(
        "SELECT 'channels' AS t, id, project_id, config FROM channels UNION ALL SELECT 'sources', id, project_id, config FROM sources",
      );
      return rows.map((r) => ({ table: r.t, id: r.id, projectId: r.project_id, config: r.config }));
    },
    async replace(table, id, from, to) {
      // Only while it is still plain: nodes starting together both try, and the later UPDATE
      // waits for the earlier one's row and then finds it sealed. (The table is a constant.)
      await db.query(`UPDATE ${table} SET config = $1 WHERE id = $2 AND config = $3`, [to, id, from]);
    },
    async reseal(table, id, from, to) {
      // a row another node changed meanwhile: the UPDATE waits for its commit and then finds
      // `from` gone
      const { rowCount } = await db.query(`UPDATE ${table} SET config = $1 WHERE id = $2 AND config = $3`, [
        to,
        id,
        from,
      ]);
      if (rowCount !== 1) throw rotationConflict(secretContext(table, id));
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
    async setKeyId(keyId, replacing) {
      const { rowCount } =
        replacing === null
          ? await db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
              SECRET_KEY_META,
              keyId,
            ])
          : await db.query('UPDATE meta SET value = $1 WHERE key = $2 AND value = $3', [
              keyId,
              SECRET_KEY_META,
              replacing,
            ]);
      if (rowCount !== 1) throw rotationConflict('the recorded key id');
    },
  };
}

/** A vigil node connected to the database, as PostgreSQL sees it. */
export interface ConnectedNode {
  /** the server process of its connection */
  pid: number;
  /** its address; null for a Unix socket, or when the login may not see it */
  address: string | null;
  /** when it connected (epoch ms) */
  since: number;
}

/**
 * The vigil nodes on the database at `url` now, by the LISTEN connection each keeps open under
 * the name APP_NAME (pg-notify.ts): the nodes a key rotation would leave with the old key.
 * Every login may read the application_name of others' connections in pg_stat_activity.
 */
export async function connectedNodes(url: string): Promise<ConnectedNode[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; address: string | null; since: Date }>(
      `SELECT pid, host(client_addr) AS address, backend_start AS since FROM pg_stat_activity
        WHERE application_name = $1 AND datname = current_database() ORDER BY backend_start`,
      [APP_NAME],
    );
    return rows.map((r) => ({ pid: r.pid, address: r.address, since: r.since.getTime() }));
  } finally {
    await client.end();
  }
}
