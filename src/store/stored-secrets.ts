// The secret columns every engine has: the `config` JSON of channels (webhook URLs, tokens,
// passwords) and of sources (connection strings, API tokens), sealed whole with the store's
// SecretBox (src/secrets). Whole, not field by field: every secret a channel kind has now or
// gets later is covered, and nothing reads inside these columns in SQL. What a start does
// with them (Store.sealSecrets) is here once; each engine gives it a SecretRows.
import { isSealed, missingKey, type SecretBox, sealedKeyId } from '../secrets/secret-box.ts';

export type SecretTable = 'channels' | 'sources';

/** What a sealed value is bound to (its AES-GCM associated data), and how messages name it. */
export function secretContext(table: SecretTable, id: string): string {
  return `${table === 'channels' ? 'channel' : 'source'} ${id}`;
}

/** The meta row that records which key the database's secrets are sealed with. */
export const SECRET_KEY_META = 'secrets.key_id';

/** The raw secret columns of one engine, inside one transaction. */
export interface SecretRows {
  /** every channel's and source's stored config */
  configs(): Promise<{ table: SecretTable; id: string; config: string }[]>;
  /** sets a row's stored config, if it still holds `from` (another node may have sealed it) */
  replace(table: SecretTable, id: string, from: string, to: string): Promise<void>;
  /** the key id recorded in meta, if any */
  recordedKeyId(): Promise<string | null>;
  /**
   * Records `keyId` unless one is recorded already, and answers the one recorded now: of two
   * nodes claiming at once one wins, and the other reads the winner's. (On D1 the write waits
   * for the batch and this answers `keyId`: one Worker has one key.)
   */
  claimKeyId(keyId: string): Promise<string>;
}

/**
 * What a start does: proves `box` is the key the stored secrets were sealed with (a
 * SecretKeyError otherwise, so vigil refuses to start rather than fail each delivery later),
 * records its id, and seals the configs still stored plain (written before vigil sealed them).
 * Without a box it only proves nothing is sealed. It writes only when there is something to
 * write, so a database that refuses writes (read-only) still starts once everything is sealed.
 * Returns how many configs it sealed.
 */
export async function sealStoredSecrets(rows: SecretRows, box: SecretBox | null): Promise<number> {
  const verify = (keyId: string) => {
    if (box === null) throw missingKey(keyId);
    if (keyId !== box.keyId) throw box.wrongKey(keyId);
  };
  // the recorded id catches a second node with its own key even while no row is sealed yet
  const recorded = await rows.recordedKeyId();
  if (recorded !== null) verify(recorded);
  const plain: { table: SecretTable; id: string; config: string }[] = [];
  for (const row of await rows.configs()) {
    if (isSealed(row.config)) verify(sealedKeyId(row.config) ?? 'unknown');
    else plain.push(row);
  }
  if (box === null) return 0;
  if (recorded === null) verify(await rows.claimKeyId(box.keyId));
  for (const { table, id, config } of plain) {
    await rows.replace(table, id, config, box.seal(config, secretContext(table, id)));
  }
  return plain.length;
}
