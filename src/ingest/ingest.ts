// Turning pings into committed state changes. Pings that arrive together share one
// transaction (group commit): with synchronous=FULL every commit waits for the disk, so
// one commit per batch instead of one per ping is what makes durable pings fast.
import { pingActor } from '../audit/actor.ts';
import { recordChange } from '../audit/audit-log.ts';
import { transition } from '../core/status.ts';
import type { PingKind } from '../core/types.ts';
import { databaseOutage } from '../store/database-unavailable.ts';
import { copyCheck } from '../store/rows.ts';
import { type Check, type Store, SyncError, type Tx } from '../store/store.ts';
import { type CommitContext, type Committed, commitTransition } from './commit-transition.ts';
import { defaultCheckConfig, newCheck } from './new-check.ts';
import { WriteBehind } from './write-behind.ts';

export type PingTarget = { checkId: string } | { pingKey: string; slug: string; create: boolean };

export interface PingRequest {
  target: PingTarget;
  kind: PingKind;
  exitStatus?: number;
  runId: string | null;
  method: string;
  source: string | null;
  userAgent: string | null;
  body: string | null;
  truncated: boolean;
  /** when vigil received it: the time every deadline follows */
  at: number;
  /** when the client says it sent it, by its own clock: kept to show the skew, never trusted */
  clientAt?: number | null;
  /** how long the run took by the client's own measure; used when no start ping opened a run */
  durationMs?: number;
}

export type PingOutcome =
  | { result: 'ok'; created: boolean; check: Check }
  | { result: 'ignored'; check: Check }
  | { result: 'not-found' };

export interface IngestOptions {
  baseUrl: string;
  retention: number;
  newId: () => string;
  /** told about every committed change, so the scheduler, dispatcher and live views can react */
  onCommitted?: (committed: Committed) => void;
  /** told each ping's outcome as it is answered (for /metrics: keep it to an increment) */
  onOutcome?: (kind: PingKind, result: PingOutcome['result']) => void;
  /** most pings in one transaction */
  maxBatch?: number;
  /**
   * Most batch transactions open at once; the pings that arrive meanwhile wait and form the
   * next batch. Default: unbounded on SQLite (its lock queues the transactions and their disk
   * syncs overlap), 1 on PostgreSQL, where each transaction holds its checks' row locks through
   * its commit: overlapping batches of the same checks only wait on each other, one commit
   * per ping or two, where one at a time lets every commit carry all that arrived meanwhile.
   */
  maxInFlight?: number;
  /**
   * false: no group commit; each ping commits in its own transaction, started in the caller's
   * turn (default true). For Workers: there, I/O belongs to the request that starts it, so one
   * request must not commit another's ping; and a D1 batch cannot read what an earlier
   * statement in it wrote, so two pings to one check in a batch would conflict. Pings to one
   * target still commit one after another, so they do not race each other to the database.
   */
  groupCommit?: boolean;
}

interface Pending {
  req: PingRequest;
  resolve: (o: PingOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * The order to apply a batch in: by check, each check's pings in arrival order. On PostgreSQL
 * a check read in a transaction stays locked until the commit; two batches (on this node or
 * another) that took the same checks in different orders would deadlock, and PostgreSQL ends
 * one of them only after a second. In one order, the later batch just waits its turn.
 */
function targetKey(target: PingTarget): string {
  return 'checkId' in target ? `0${target.checkId}` : `1${target.pingKey}/${target.slug}`;
}

function lockOrder(batch: Pending[]): number[] {
  const keys = batch.map((p) => targetKey(p.req.target));
  return keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
}

export class Ingestor {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** without group commit: the newest ping in flight per target (see commitAlone) */
  private readonly lastByTarget = new Map<string, Promise<void>>();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly store: Store,
    private readonly options: IngestOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    this.maxInFlight = options.maxInFlight ?? (store.engine === 'postgres' ? 1 : Number.POSITIVE_INFINITY);
  }

  submit(req: PingRequest): Promise<PingOutcome> {
    return new Promise((resolve, reject) => {
      if (this.options.groupCommit === false) {
        this.commitAlone({ req, resolve, reject });
        return;
      }
      this.queue.push({ req, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Let the other requests that are already readable join this batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** One ping in a transaction of its own, after the pings to the same target before it. */
  private commitAlone(p: Pending): void {
    const key = targetKey(p.req.target);
    // commitBatch settles the ping itself and never rejects
    const done = (this.lastByTarget.get(key) ?? Promise.resolve()).then(() => this.commitBatch([p]));
    this.lastByTarget.set(key, done);
    this.inFlight.add(done);
    void done.finally(() => {
      this.inFlight.delete(done);
      if (this.lastByTarget.get(key) === done) this.lastByTarget.delete(key);
    });
  }

  /** Resolves once everything submitted so far is committed. */
  async drain(): Promise<void> {
    while (this.scheduled || this.inFlight.size > 0) {
      await Promise.all(this.inFlight);
      if (this.scheduled) await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Starts committing what has queued up, without waiting for the previous batch's disk
   * sync: the store's lock orders the transactions, and their syncs overlap.
   */
  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) {
      const done = this.commitBatch(this.queue.splice(0, this.maxBatch));
      this.inFlight.add(done);
      void done.finally(() => {
        this.inFlight.delete(done);
        // what queued up while the batches were full goes out now, as one batch
        if (this.queue.length > 0 && !this.scheduled) {
          this.scheduled = true;
          setImmediate(() => this.flush());
        }
      });
    }
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    const committed: Committed[] = [];
    try {
      const outcomes = await this.store.transaction(async (tx) => {
        committed.length = 0; // a transaction may run again (D1): only its last run's count
        const out: PingOutcome[] = new Array(batch.length);
        const batchTx = new WriteBehind(tx);
        for (const i of lockOrder(batch)) out[i] = await this.apply(batchTx.tx, batch[i]!.req, committed);
        await batchTx.flush();
        return out;
      });
      for (const [i, p] of batch.entries()) this.settle(p, outcomes[i]!);
      this.announce(committed);
    } catch (err) {
      // Committed but not confirmed on disk: retrying would store the pings twice. And a
      // database that refuses writes (disk full) refuses each ping alone as well; one that
      // cannot be reached (restarting) too, and a connection lost in COMMIT may have committed.
      if (err instanceof SyncError || databaseOutage(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One bad ping must not fail its neighbours: retry each on its own.
      for (const p of batch) {
        const mine: Committed[] = [];
        try {
          const outcome = await this.store.transaction((tx) => {
            mine.length = 0;
            return this.apply(tx, p.req, mine);
          });
          this.settle(p, outcome);
          this.announce(mine);
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  private settle(p: Pending, outcome: PingOutcome): void {
    this.options.onOutcome?.(p.req.kind, outcome.result);
    p.resolve(outcome);
  }

  private announce(committed: Committed[]): void {
    for (const c of committed) {
      try {
        this.options.onCommitted?.(c);
      } catch {
        // The pings are committed whatever a listener does; letting this throw into
        // commitBatch's catch would commit the whole batch a second time.
      }
    }
  }

  /**
   * One ping, inside the caller's transaction, exactly as a submitted one is applied; what it
   * changed is pushed onto `committed` for the caller to announce once the transaction commits.
   * Sources use it so their runs and their cursor commit together.
   */
  async apply(tx: Tx, req: PingRequest, committed: Committed[]): Promise<PingOutcome> {
    let created = false;
    let check: Check | null;
    if ('checkId' in req.target) {
      check = await tx.getCheck(req.target.checkId);
    } else {
      const project = await tx.getProjectByPingKey(req.target.pingKey);
      if (!project) return { result: 'not-found' };
      check = await tx.getCheckBySlug(project.id, req.target.slug);
      if (!check && req.target.create) {
        check = newCheck(this.options.newId(), project.id, defaultCheckConfig(req.target.slug), req.at);
        await tx.insertCheck(check);
        await recordChange(tx, pingActor(req.source), {
          action: 'check.created',
          projectId: project.id,
          target: check,
          at: req.at,
        });
        created = true;
      }
    }
    if (!check) return { result: 'not-found' };
    // Link previews and scanners send GETs; a check that wants POSTs ignores them.
    if (check.methods === 'post' && req.method !== 'POST') return { result: 'ignored', check };

    const t = transition(
      check,
      { type: 'ping', kind: req.kind, exitStatus: req.exitStatus, runId: req.runId },
      req.at,
    );
    const n = check.pingSeq + 1;
    // A start ping we saw is the better clock; the client's figure only fills the gap.
    const durationMs = t.durationMs ?? req.durationMs ?? null;
    await tx.insertPing(
      {
        checkId: check.id,
        n,
        at: req.at,
        clientAt: req.clientAt ?? null,
        kind: req.kind,
        exitStatus: req.exitStatus ?? null,
        method: req.method,
        source: req.source,
        userAgent: req.userAgent,
        rid: req.runId,
        durationMs,
        body: req.body,
        truncated: req.truncated,
      },
      this.options.retention,
    );
    const ctx: CommitContext = { baseUrl: this.options.baseUrl, pingBody: req.body };
    // Inside one transaction nobody writes between our read and this update.
    const pinged = copyCheck(check);
    pinged.pingSeq = n;
    const result = await commitTransition(tx, pinged, t, req.at, ctx);
    committed.push({
      ...result,
      ping: { n, at: req.at, kind: req.kind, exitStatus: req.exitStatus ?? null, durationMs },
    });
    if (t.ignored) return { result: 'ignored', check: result.check };
    return { result: 'ok', created, check: result.check };
  }
}
