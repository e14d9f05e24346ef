// The key files `vigil secrets rotate` writes. A key file must never be half written, never
// replace another key by accident, and be on disk before the database depends on it: the
// secrets are re-sealed in a transaction that is synced when it commits, and a crash right
// after must not leave a database whose key was only in the page cache.
import {
  closeSync,
  constants,
  copyFileSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { encodeSecretKey } from './secret-key.ts';

/**
 * Writes `key` to a new file at `path` (mode 0600, synced) whole or not at all: written beside
 * it first, then linked into place, which fails with EEXIST when `path` exists.
 */
export function writeNewKeyFile(path: string, key: Uint8Array): void {
  const partial = `${path}.partial-${process.pid}`;
  rmSync(partial, { force: true }); // left by a crash of an earlier process with this pid
  const fd = openSync(partial, 'wx', 0o600);
  try {
    writeSync(fd, encodeSecretKey(key));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(partial, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
    // a file system without hard links: copied, still never over an existing file
    copyFileSync(partial, path, constants.COPYFILE_EXCL);
  } finally {
    rmSync(partial, { force: true });
  }
  syncDirectory(dirname(path));
}

/** Keeps the key file at `path` under the name `copy` as well (its mode too); never over a file. */
export function keepKeyFile(path: string, copy: string): void {
  try {
    linkSync(path, copy);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
    copyFileSync(path, copy, constants.COPYFILE_EXCL);
  }
  syncDirectory(dirname(copy));
}

/** Puts the key file `draft` in the place of `path` at once (a rename), synced. */
export function installKeyFile(draft: string, path: string): void {
  renameSync(draft, path);
  syncDirectory(dirname(path));
}

/** Makes the names in `dir` durable; a platform that cannot open a directory skips it. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Windows refuses fsync on a directory; its renames are durable enough there
  } finally {
    closeSync(fd);
  }
}
