// `vigil secrets rotate`: a new key for the channel and source secrets in the database. The
// secrets are re-sealed in one transaction, so the database holds them under one key or the
// other, never both; the new key is on disk before that transaction commits, so no crash
// leaves a database whose key exists nowhere.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Actor } from '../../audit/actor.ts';
import { recordChange } from '../../audit/audit-log.ts';
import { type Config, loadConfig, redactDatabaseUrl } from '../../config.ts';
import { ALIVE_KEY } from '../../scheduler/detect-missed.ts';
import { nodeSecretBox, secretKeyPath } from '../../secrets/key-file.ts';
import { installKeyFile, keepKeyFile, writeNewKeyFile } from '../../secrets/rotate-key-file.ts';
import { SecretBox } from '../../secrets/secret-box.ts';
import { openStore } from '../../store/open-store.ts';
import { acquireProcessLock } from '../../store/sqlite/process-lock.ts';
import type { Store, Tx } from '../../store/store.ts';
import { type RotatedSecrets, SECRET_KEY_META } from '../../store/stored-secrets.ts';
import { CliError, type Command, cliActorOf, helpOrUsage, type Io, parseFlags, print } from '../io.ts';

const HELP = `Usage: vigil secrets rotate [--new-key-file PATH] [--force] [--json]

Replaces the key that seals the channel and source secrets in vigil's database (the one
vigil serve opens: VIGIL_DATABASE_URL, or the SQLite file in the data directory). It reads the
current key as vigil serve does, makes a new random key, and in one transaction opens every
secret with the old key and seals it with the new one.

Stop vigil first. On SQLite a database that a vigil serves is refused. On PostgreSQL stop
every node: a node still running with the old key cannot open the re-sealed secrets, and must
be restarted with the new one. Nodes seen on the database are refused, unless --force.

Where the new key goes:
  - no VIGIL_SECRET_KEY: it replaces the key file secret.key in the data directory, and the
    old key is kept beside it as secret.key.before-rotate-<time>
  - VIGIL_SECRET_KEY or VIGIL_SECRET_KEY_FILE: --new-key-file PATH is required; the new key is
    written there (mode 0600, never over an existing file) and is never printed. Then point
    VIGIL_SECRET_KEY_FILE at it on every node.

  --new-key-file PATH   where to write the new key, when the current one comes from the environment
  --force               on PostgreSQL, rotate although vigil nodes seem to be running
  --json                print the result as JSON

Keep the old key as long as the backups made before the rotation: they need it.
`;

/** A node's scheduler records that it is alive every 5 s: newer than this, a node is running. */
const ALIVE_WITHIN_MS = 15_000;

export const secretsCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const { values } = parseFlags(
    rest,
    { 'new-key-file': { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
    HELP,
  );
  const done = helpOrUsage(sub, values.help, HELP, io);
  if (done !== null) return done;
  if (sub !== 'rotate') throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
  return rotate({ newKeyFile: values['new-key-file'], force: values.force, json: values.json }, io);
};

interface Flags {
  newKeyFile: string | undefined;
  force: boolean | undefined;
  json: boolean | undefined;
}

/** Where the current key is read from and the new one goes. */
interface KeyPlace {
  /** the default key file, which the rotation replaces; null: the key comes from the environment */
  keyFile: string | null;
  /** where the new key is written before the commit */
  draft: string;
  /** how messages name where the current key comes from */
  current: string;
}

async function rotate(flags: Flags, io: Io): Promise<number> {
  const config = loadConfig(io.env);
  if (config.sqlitePath === ':memory:') throw new CliError('an in-memory database has no key to rotate');
  const dbPath = config.sqlitePath === null ? null : resolve(config.sqlitePath);
  if (dbPath !== null && !existsSync(dbPath)) throw new CliError(`there is no database at ${dbPath}`);
  const key = randomBytes(32);
  const to = new SecretBox(key, 'the new key');
  const place = keyPlace(config, flags, io, to.keyId);
  const from = nodeSecretBox(config, (warning) => io.err(`vigil secrets: ${warning}\n`));

  let release = () => {};
  if (dbPath !== null) {
    try {
      // the server's own lock: held, a vigil serves the file; taken, none can start meanwhile
      release = acquireProcessLock(dbPath);
    } catch (err) {
      throw new CliError(`cannot rotate now: ${(err as Error).message}`);
    }
  }
  try {
    // proves the current key is the one the secrets are sealed with (exit 78 if not)
    const store = await openStore(config, { secrets: from });
    try {
      if (dbPath === null) await refuseLiveNodes(store, config, flags.force === true, io);
      const rotated = await rotateInStore(store, from, to, key, place, cliActorOf(io));
      report(io, flags.json, config, place, rotated);
      return 0;
    } finally {
      await store.close();
    }
  } finally {
    release();
  }
}

function keyPlace(config: Readonly<Config>, flags: Flags, io: Io, newKeyId: string): KeyPlace {
  if (config.secretKey !== null) {
    const file = io.env.VIGIL_SECRET_KEY_FILE;
    const current = file ? `VIGIL_SECRET_KEY_FILE (${file})` : 'VIGIL_SECRET_KEY';
    if (flags.newKeyFile === undefined) {
      throw new CliError(
        `the current key comes from ${current}, which vigil cannot change: name a new file for the new key with --new-key-file PATH (the key is never printed), then point VIGIL_SECRET_KEY_FILE at it on every node`,
        2,
      );
    }
    const draft = resolve(flags.newKeyFile);
    if (existsSync(draft)) throw new CliError(`${draft} exists; name a new file for the new key`);
    return { keyFile: null, draft, current };
  }
  const keyFile = secretKeyPath(config)!;
  if (flags.newKeyFile !== undefined) {
    throw new CliError(
      `--new-key-file is for a key set with VIGIL_SECRET_KEY or VIGIL_SECRET_KEY_FILE; this vigil reads the key file ${keyFile}, which the rotation replaces itself (keeping the old one beside it)`,
      2,
    );
  }
  // never made here, as a start would: a missing key file is a key lost, not one to make
  if (!existsSync(keyFile)) {
    throw new CliError(
      `there is no key file ${keyFile}, so no key to rotate from. If this database's secrets were sealed with one, put it back (from the backup made with the database); a database vigil never served gets one at its first start`,
    );
  }
  return { keyFile, draft: `${keyFile}.new-${newKeyId}`, current: `the key file ${keyFile}` };
}

/** PostgreSQL: a node left running keeps the old key. Refuses when one is seen, unless forced. */
async function refuseLiveNodes(
  store: Store,
  config: Readonly<Config>,
  force: boolean,
  io: Io,
): Promise<void> {
  const seen: string[] = [];
  const now = Date.now();
  const aliveAt = Number((await store.getMeta(ALIVE_KEY)) ?? Number.NaN);
  if (now - aliveAt < ALIVE_WITHIN_MS) seen.push(`a node's scheduler ran ${ago(now, aliveAt)}`);
  const { connectedNodes } = await import('../../store/postgres/pg-secrets.ts');
  for (const node of await connectedNodes(config.databaseUrl)) {
    seen.push(`a node connected ${ago(now, node.since)} from ${node.address ?? 'a local socket'}`);
  }
  const why =
    'a node still running with the old key cannot open the re-sealed secrets (its deliveries and source syncs fail) until it is restarted with the new key';
  if (seen.length === 0) return;
  if (!force) {
    throw new CliError(
      `cannot rotate now: vigil is running on ${redactDatabaseUrl(config.databaseUrl)} (${seen.join('; ')}). Stop every node first: ${why}. A stopped node's last sweep counts for ${ALIVE_WITHIN_MS / 1000} s; if every node is stopped, run again then, or pass --force`,
    );
  }
  io.err(`vigil secrets: rotating although vigil seems to be running (${seen.join('; ')}): ${why}\n`);
}

const ago = (now: number, at: number) => `${Math.max(0, Math.round((now - at) / 1000))} s ago`;

/**
 * The new key on disk first (the draft), then the transaction, then the draft in place of the
 * key file. A failure says which of the two keys the database now needs, and where it is.
 */
async function rotateInStore(
  store: Store,
  from: SecretBox,
  to: SecretBox,
  key: Uint8Array,
  place: KeyPlace,
  actor: Actor,
): Promise<RotatedSecrets & { kept: string | null }> {
  const { keyFile, draft } = place;
  const kept = keyFile === null ? null : `${keyFile}.before-rotate-${stamp(new Date())}`;
  // a file that is in the way is someone else's: only what this run wrote is removed
  try {
    writeNewKeyFile(draft, key);
  } catch (err) {
    throw new CliError(
      `cannot write the new key to ${draft}: ${(err as Error).message}; nothing was changed`,
    );
  }
  if (keyFile !== null) {
    try {
      keepKeyFile(keyFile, kept!);
    } catch (err) {
      removeOwnFiles(draft, null);
      throw new CliError(
        `cannot keep the old key as ${kept}: ${(err as Error).message}; nothing was changed`,
      );
    }
  }
  let rotated: RotatedSecrets;
  try {
    rotated = await store.rotateSecrets(to, (tx, r) => recordRotation(tx, r, actor, Date.now()));
  } catch (err) {
    // Did it commit? A failed COMMIT (a lost connection, an unconfirmed sync) may have.
    const recorded = await store.getMeta(SECRET_KEY_META).catch(() => undefined);
    const message = (err as Error).message;
    // a rotation that committed recorded the new id; one that did not left the old (or none)
    if (recorded !== undefined && recorded !== to.keyId) {
      removeOwnFiles(draft, kept);
      throw new CliError(
        `cannot rotate the key: ${message}. Nothing was changed: the secrets are still sealed with key ${from.keyId}, from ${place.current}`,
      );
    }
    const fix = keyFile === null ? `point VIGIL_SECRET_KEY_FILE at ${draft}` : `mv ${draft} ${keyFile}`;
    if (recorded === to.keyId) {
      if (keyFile !== null) installOrExplain(draft, keyFile, to.keyId, kept!);
      throw new CliError(
        `the secrets were re-sealed with the new key ${to.keyId} (in ${keyFile ?? draft}), but: ${message}. Check that vigil starts with it${keyFile === null ? ` (${fix} on every node)` : ''}`,
      );
    }
    throw new CliError(
      `cannot rotate the key: ${message}. Whether the new key was recorded is not known (the database did not answer). Start vigil with the old key, from ${place.current}: if it starts, nothing was changed; delete ${draft}. If it refuses, saying the secrets were sealed with key ${to.keyId}, the new key in ${draft} is theirs: ${fix}`,
    );
  }
  if (keyFile !== null) installOrExplain(draft, keyFile, to.keyId, kept!);
  return { ...rotated, kept };
}

/** After the commit: the draft becomes the key file, or the operator is told how to make it so. */
function installOrExplain(draft: string, keyFile: string, keyId: string, kept: string): void {
  try {
    installKeyFile(draft, keyFile);
  } catch (err) {
    throw new CliError(
      `the secrets are now sealed with the new key ${keyId}, but it could not take the place of ${keyFile}: ${(err as Error).message}. Before starting vigil: mv ${draft} ${keyFile} (the old key, kept as ${kept}, no longer opens them)`,
    );
  }
}

/** Removes what this rotation wrote, when the database never depended on it. */
function removeOwnFiles(draft: string, kept: string | null): void {
  for (const path of [draft, kept]) {
    if (path === null) continue;
    try {
      rmSync(path, { force: true });
    } catch {
      // left behind, named by the message that follows
    }
  }
}

/**
 * One entry in each project's log, with that project's count: a rotation touches every project's
 * secrets. Key ids only, never keys (a key id tells keys apart and reveals nothing of them).
 */
async function recordRotation(tx: Tx, rotated: RotatedSecrets, actor: Actor, at: number): Promise<void> {
  for (const project of await tx.listProjects()) {
    const mine = rotated.resealed.filter((r) => r.projectId === project.id);
    await recordChange(tx, actor, {
      action: 'secrets.rotated',
      projectId: project.id,
      target: { id: rotated.to, name: `secret key ${rotated.to}` },
      at,
      changes: {
        key_id: { from: rotated.from, to: rotated.to },
        channels: { to: mine.filter((r) => r.table === 'channels').length },
        sources: { to: mine.filter((r) => r.table === 'sources').length },
      },
    });
  }
}

function report(
  io: Io,
  json: boolean | undefined,
  config: Readonly<Config>,
  place: KeyPlace,
  rotated: RotatedSecrets & { kept: string | null },
): void {
  const channels = rotated.resealed.filter((r) => r.table === 'channels').length;
  const sources = rotated.resealed.length - channels;
  const newKey = place.keyFile ?? place.draft;
  const postgres = config.sqlitePath === null;
  const next: string[] = [];
  if (place.keyFile !== null) {
    next.push(
      postgres
        ? `copy ${newKey} to every node in place of its old key, then start them`
        : `start vigil: it reads the new key from ${newKey}`,
    );
  } else {
    next.push(
      `on every node, set VIGIL_SECRET_KEY_FILE=${newKey} (copy the file there, mode 0600), or VIGIL_SECRET_KEY to its content, in place of the old key; then start vigil. Started with the old key, it refuses: "was the key changed?"`,
    );
  }
  next.push('back up the new key, apart from the database backups');
  next.push(
    `keep the old key (${rotated.kept ?? place.current}) as long as the backups made before now: restoring one needs it`,
  );
  const from = rotated.from ?? 'none';
  print(
    io,
    json,
    {
      resealed: rotated.resealed.length,
      channels,
      sources,
      old_key_id: rotated.from,
      new_key_id: rotated.to,
      new_key_file: newKey,
      old_key_file: rotated.kept,
      next,
    },
    `re-sealed ${plural(rotated.resealed.length, 'secret')} (${plural(channels, 'channel')}, ${plural(sources, 'source')}) with a new key: key ${from} → ${rotated.to}\n` +
      `the new key is in ${newKey}` +
      (rotated.kept ? `; the old key is kept as ${rotated.kept}` : '') +
      (postgres
        ? '\nevery node on this PostgreSQL database needs the new key: one still running with the old key cannot open the secrets until it is restarted with it'
        : '') +
      `\nnext:\n${next.map((step, i) => `  ${i + 1}. ${step}`).join('\n')}`,
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** 2026-12-06T10:15:00.123Z → 20261206T101500Z, as restore names what it keeps */
const stamp = (now: Date) => now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
