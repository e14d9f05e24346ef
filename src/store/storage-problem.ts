// Telling "the database refuses writes" apart from every other error: a full disk, a read-only
// file or server, a disk that reports I/O errors. Those are no fault of the request and pass
// once someone fixes the machine, so pings and API writes answer 503 with Retry-After and the
// storage monitor (storage-health.ts) tells the operator. Runtime-neutral: only error codes.
import { SyncError } from './store.ts';

export type StorageProblemKind = 'disk-full' | 'read-only' | 'io-error' | 'cannot-open';

export interface StorageProblem {
  kind: StorageProblemKind;
  /** what is wrong, for the operator: "the disk holding the database is full" */
  what: string;
  /** what to do about it: "free space on that disk (or grow it)" */
  todo: string;
}

/**
 * Retry-After on the 503s while the database refuses writes. Someone has to fix the machine,
 * which takes longer than a second; clients that honour it (curl --retry) try a few times over
 * minutes instead of at once.
 */
export const STORAGE_RETRY_AFTER_S = 30;

/** The database refuses writes: why, since when (the first refused write), in its own words. */
export interface StorageCondition {
  problem: StorageProblem;
  since: number;
  /** the last refusal's message, as the database put it */
  error: string;
}

const SQLITE_FILE = 'the database file and its -wal and -shm files';

const PROBLEMS = {
  sqliteFull: {
    kind: 'disk-full',
    what: 'the disk holding the database is full',
    todo: 'free space on that disk (or grow it)',
  },
  sqliteReadOnly: {
    kind: 'read-only',
    what: 'the database file is read-only (its permissions, or a read-only filesystem)',
    todo: `make ${SQLITE_FILE} writable by the user vigil runs as, on a filesystem mounted read-write`,
  },
  sqliteIo: {
    kind: 'io-error',
    what: 'the disk holding the database reports I/O errors',
    todo: 'check that disk and the kernel log (dmesg); a failing disk needs replacing',
  },
  sqliteCantOpen: {
    kind: 'cannot-open',
    what: 'the database file cannot be opened',
    todo: `check that ${SQLITE_FILE} and their directory exist and vigil may use them`,
  },
  pgFull: {
    kind: 'disk-full',
    what: "the PostgreSQL server's disk is full",
    todo: 'free or add disk space on the PostgreSQL server',
  },
  pgReadOnly: {
    kind: 'read-only',
    what: 'the PostgreSQL server accepts only reads (a standby, or default_transaction_read_only is on)',
    todo: 'point VIGIL_DATABASE_URL at the primary, or turn read-only mode off',
  },
  pgIo: {
    kind: 'io-error',
    what: "the PostgreSQL server's disk reports I/O errors",
    todo: "check the PostgreSQL server's disk and its log",
  },
} as const satisfies Record<string, StorageProblem>;

/** errno codes of a failed fsync (WalSync's SyncError carries the one it got) */
const SYNC_PROBLEMS: Record<string, StorageProblem> = {
  ENOSPC: PROBLEMS.sqliteFull,
  EDQUOT: { ...PROBLEMS.sqliteFull, what: "the disk quota of vigil's user is used up" },
  EROFS: { ...PROBLEMS.sqliteReadOnly, what: 'the filesystem holding the database went read-only' },
};

function byCode(code: string): StorageProblem | null {
  // better-sqlite3 gives extended codes: SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE, ...
  if (code === 'SQLITE_FULL') return PROBLEMS.sqliteFull;
  if (code.startsWith('SQLITE_READONLY')) return PROBLEMS.sqliteReadOnly;
  if (code.startsWith('SQLITE_IOERR')) return PROBLEMS.sqliteIo;
  if (code.startsWith('SQLITE_CANTOPEN')) return PROBLEMS.sqliteCantOpen;
  // PostgreSQL's SQLSTATEs: disk_full, read_only_sql_transaction, io_error
  if (code === '53100') return PROBLEMS.pgFull;
  if (code === '25006') return PROBLEMS.pgReadOnly;
  if (code === '58030') return PROBLEMS.pgIo;
  return null;
}

/**
 * Why the database refused this, when it is one of the refusals above; null for any other
 * error (a bug, a conflict, a lost connection: those are not the disk's doing).
 */
export function storageProblem(err: unknown): StorageProblem | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof SyncError) {
      const errno = (e.cause as { code?: unknown } | undefined)?.code;
      return (typeof errno === 'string' ? SYNC_PROBLEMS[errno] : undefined) ?? PROBLEMS.sqliteIo;
    }
    const code = (e as { code?: unknown }).code;
    const problem = typeof code === 'string' ? byCode(code) : null;
    if (problem) return problem;
  }
  return null;
}

/** "2025-03-01 12:03 UTC": when a condition began, the same in every message about it. */
export function conditionTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
