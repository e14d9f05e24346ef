// Where a Node server's secret key comes from: VIGIL_SECRET_KEY (or VIGIL_SECRET_KEY_FILE) when
// set; otherwise `secret.key` in the data directory, made on the first start. A single node then
// needs no setup, and the key sits beside the database it opens, to be backed up with it.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Config, ConfigError } from '../config.ts';
import { SecretBox } from './secret-box.ts';
import { decodeSecretKey, encodeSecretKey, MAKE_KEY } from './secret-key.ts';

type KeySettings = Pick<Config, 'secretKey' | 'sqlitePath'>;

/**
 * The key file: beside the SQLite database; on PostgreSQL in `data/` under the working
 * directory (where the default database would be). Null for an in-memory database.
 */
export function secretKeyPath(config: Pick<Config, 'sqlitePath'>): string | null {
  if (config.sqlitePath === ':memory:') return null;
  return resolve(config.sqlitePath === null ? 'data' : dirname(config.sqlitePath), 'secret.key');
}

/** The SecretBox a server seals with; `warn` hears of a key made now or a file others can read. */
export function nodeSecretBox(config: KeySettings, warn: (message: string) => void): SecretBox {
  if (config.secretKey !== null) return new SecretBox(config.secretKey);
  const path = secretKeyPath(config);
  // nothing outlives the process, so neither may the key
  if (path === null) return new SecretBox(randomBytes(32), 'the key of this in-memory database');
  const source = `the key file ${path}`;
  const existing = readKeyFile(path, warn);
  if (existing !== null) return new SecretBox(existing, source);

  const key = randomBytes(32);
  const draft = `${path}.${process.pid}.new`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    rmSync(draft, { force: true }); // left by a crash of an earlier process with this pid
    writeFileSync(draft, encodeSecretKey(key), { mode: 0o600, flag: 'wx' });
    // A link appears whole or not at all, and never over a key another node made meanwhile
    // (that one is read below): nodes starting together in one directory share one key. A
    // file system without hard links gets the file written in place (wx: still never over one).
    try {
      linkSync(draft, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
      writeFileSync(path, encodeSecretKey(key), { mode: 0o600, flag: 'wx' });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const theirs = readKeyFile(path, warn);
      if (theirs !== null) return new SecretBox(theirs, source);
    }
    throw new ConfigError(
      `cannot write the secret key file ${path}: ${(err as Error).message}. Give vigil a data directory it can write, or set VIGIL_SECRET_KEY (make one with: ${MAKE_KEY})`,
    );
  } finally {
    removeQuietly(draft);
  }
  warn(
    `made a new secret key in ${path}: it seals the channel secrets and source connection strings in the database. Back it up with the database; without it they cannot be read${
      config.sqlitePath === null
        ? '. Every vigil node on this PostgreSQL database needs this same key: copy the file to the others, or set VIGIL_SECRET_KEY on all of them'
        : ''
    }`,
  );
  return new SecretBox(key, source);
}

/** The key in the file at `path`; null when there is no file. */
function readKeyFile(path: string, warn: (message: string) => void): Uint8Array | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the secret key file ${path}: ${(err as Error).message}`);
  }
  const key = decodeSecretKey(text);
  // never quoted: it is the key, or what is left of it
  if (key === null) {
    throw new ConfigError(
      `the secret key file ${path} holds no key (expected 32 bytes as base64 or 64 hex digits): restore it from the backup made with the database`,
    );
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warn(
      `the secret key file ${path} can be read by other users (mode ${mode.toString(8)}): chmod 600 ${path}`,
    );
  }
  return key;
}

/** Removes a file if it can; what stays is removed by the next start, before it writes. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // the error that matters is the one already on its way
  }
}
