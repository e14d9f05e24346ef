// The secret columns every engine has: the `config` JSON of channels (webhook URLs, tokens,
// passwords) and of sources (connection strings, API tokens), sealed whole with the store's
// SecretBox (src/secrets). Whole, not field by field: every secret a channel kind has now or
// gets later is covered, and nothing reads inside these columns in SQL. What a start does
// with them (Store.sealSecrets), and what `vigil secrets rotate` does (Store.rotateSecrets), is
// here once; each engine gives it a SecretRows.
import { isSealed, missingKey, openText, type SecretBox, sealedKeyId } from '../secrets/secret-box.ts';
import { ConflictError } from './store.ts';

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
  configs(): Promise<StoredConfig[]>;
  /** sets a row's stored config, if it still holds `from` (another node may have sealed it) */
  replace(table: SecretTable, id: string, from: string, to: string): Promise<void>;
  /**
   * Sets a row's stored config, which must still hold `from`: a ConflictError otherwise (on
   * D1 the commit fails instead), and the transaction with it.
   */
  reseal(table: SecretTable, id: string, from: string, to: string): Promise<void>;
  /** the key id recorded in meta, if any */
  recordedKeyId(): Promise<string | null>;
  /**
   * Records `keyId` unless one is recorded already, and answers the one recorded now: of two
   * nodes claiming at once one wins, and the other reads the winner's. (On D1 the write waits
   * for the batch and this answers `keyId`: one Worker has one key.)
   */
  claimKeyId(keyId: string): Promise<string>;
  /**
   * Records `keyId` in place of `replacing` (null: none is recorded), which must be the one
   * recorded: a ConflictError otherwise (on D1 the commit fails instead).
   */
  setKeyId(keyId: string, replacing: string | null): Promise<void>;
}

export interface StoredConfig {
  table: SecretTable;
  id: string;
  projectId: string;
  /** as stored: sealed, or plain JSON */
  config: string;
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
  const plain: StoredConfig[] = [];
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

export interface RotatedSecrets {
  /** the key the secrets were sealed with before; null when none was recorded (all plain) */
  from: string | null;
  to: string;
  /** every config re-sealed with `to` (those stored plain were sealed with it) */
  resealed: { table: SecretTable; id: string; projectId: string }[];
}

/**
 * What `vigil secrets rotate` does, in the caller's transaction: opens every stored config with
 * `from` (the key the store was opened with) and seals it with `to`, and records `to`'s id.
 * Any config that does not open (another key, a damaged value) is an error, and nothing is
 * changed. A config that another node changes or adds meanwhile is a ConflictError: the
 * rotation is meant for a database no node serves, and must not leave one config behind.
 */
export async function rotateStoredSecrets(
  rows: SecretRows,
  from: SecretBox | null,
  to: SecretBox,
): Promise<RotatedSecrets> {
  if (from !== null && to.keyId === from.keyId)
    throw new Error(`the new key is the current key (${to.keyId})`);
  const recorded = await rows.recordedKeyId();
  if (recorded !== null) {
    if (from === null) throw missingKey(recorded);
    if (recorded !== from.keyId) throw from.wrongKey(recorded);
  }
  const stored = await rows.configs();
  for (const { table, id, config } of stored) {
    const context = secretContext(table, id);
    await rows.reseal(table, id, config, to.seal(openText(from, config, context), context));
  }
  // A row added meanwhile would keep the old key. (On D1 this reads what is committed: the
  // rows as they were, and any another Worker added since.)
  const seen = new Set(stored.map((r) => `${r.table} ${r.id}`));
  const added = (await rows.configs()).find((r) => !seen.has(`${r.table} ${r.id}`));
  if (added !== undefined) throw rotationConflict(secretContext(added.table, added.id), 'was added');
  await rows.setKeyId(to.keyId, recorded);
  return {
    from: recorded,
    to: to.keyId,
    resealed: stored.map(({ table, id, projectId }) => ({ table, id, projectId })),
  };
}

/** The error for a config (or the recorded key id) another writer changed during a rotation. */
export function rotationConflict(what: string, happened = 'was changed'): ConflictError {
  return new ConflictError(
    `${what} ${happened} while the secrets were being re-sealed: a vigil node is still running on this database. Stop every node and rotate again`,
  );
}
