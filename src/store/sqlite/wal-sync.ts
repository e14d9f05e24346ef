import { type FileHandle, open } from 'node:fs/promises';
import { SyncError } from '../store.ts';

/**
 * Group commit's second half. Commits run with synchronous=NORMAL, so COMMIT writes the WAL
 * but does not wait for the disk; this then fdatasyncs the WAL file on libuv's thread pool.
 * Callers await `sync()` before they answer, so nothing is acknowledged before it is on
 * disk — but the event loop keeps reading requests (and the next batch commits) while the
 * disk works, and every commit made before a sync starts shares that one sync.
 *
 * (synchronous=FULL did the same fsync inside COMMIT, blocking the event loop for the
 * whole disk wait: 5-7 ms per batch on this machine, half of all ingest time.)
 */
export class WalSync {
  /** commits made so far */
  private committed = 0;
  /** commits known to be on disk */
  private synced = 0;
  private inFlight: Promise<void> | null = null;
  private handle: FileHandle | null = null;

  /** `walPath` null: an in-memory database, nothing to sync */
  constructor(private readonly walPath: string | null) {}

  get commits(): number {
    return this.committed;
  }

  /** Call after a COMMIT (or an autocommit write) returned. */
  noteCommit(): void {
    this.committed++;
  }

  /** Resolves when every commit noted before this call is on disk. */
  async sync(): Promise<void> {
    if (this.walPath === null) return;
    const target = this.committed;
    while (this.synced < target) {
      this.inFlight ??= this.flush().finally(() => {
        this.inFlight = null;
      });
      await this.inFlight;
    }
  }

  private async flush(): Promise<void> {
    const upTo = this.committed;
    try {
      this.handle ??= await open(this.walPath!, 'r+');
      await this.handle.datasync();
    } catch (err) {
      // the errno (ENOSPC, EIO, EROFS) says whether the disk is full or failing: storage-problem.ts
      throw new SyncError(`cannot sync ${this.walPath} to disk: ${(err as Error).message}`, { cause: err });
    }
    this.synced = Math.max(this.synced, upTo);
  }

  /**
   * The database was opened again (sqlite-store.ts, after a read-only file became writable):
   * later syncs go through a new handle, on whatever WAL file is there now.
   */
  async reopen(): Promise<void> {
    await this.inFlight?.catch(() => {});
    const old = this.handle;
    this.handle = null;
    await old?.close().catch(() => {});
  }

  async close(): Promise<void> {
    await this.inFlight;
    await this.handle?.close();
    this.handle = null;
  }
}
