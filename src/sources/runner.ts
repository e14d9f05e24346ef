// The loop that reads sources: about every second it claims the sources whose sync is due (a
// claim moves their next sync past a lease, so nodes on one database share them), reads a few
// at a time, and commits each result (commit-sync.ts). A sync that fails is recorded on its
// source and tried again at the next interval; the loop itself never dies of one.
import { type Capabilities, sourceKindProblem } from '../capabilities.ts';
import { type Committed, ConflictError } from '../ingest/commit-transition.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import type { Log } from '../log.ts';
import type { HttpClient } from '../notifiers/http.ts';
import { Alarm, type Clock } from '../scheduler/clock.ts';
import { storageProblem } from '../store/storage-problem.ts';
import type { Check, Source, Store, Tx } from '../store/store.ts';
import { SourceUnreachable, type SyncNow, type SyncReport, type SyncResult } from './adapter.ts';
import { type CommitSyncDeps, commitSync, commitUnreachable, StaleSync } from './commit-sync.ts';
import { deferUntilSynced } from './defer-deadline.ts';
import { adapterFor, redactSecrets } from './registry.ts';

export interface SourceRunnerOptions {
  clock: Clock;
  logger: Log;
  ingestor: Ingestor;
  /** the outbound client, for kinds that speak HTTP */
  http: HttpClient;
  allowPrivateTargets: boolean;
  baseUrl: string;
  newId: () => string;
  /** told about every committed change, as the ingestor's listener is */
  onCommitted?: (c: Committed) => void;
  /** sources read at the same time (default 4) */
  concurrency?: number;
  /** a sync still reading after this is stopped and counts as failed (default 30 s) */
  syncTimeoutMs?: number;
  /** how often the loop looks for due sources (default 1 s) */
  pollMs?: number;
  /** the most of a run's output kept as its ping's body (default 10,000 characters) */
  bodyLimit?: number;
  /** what the runtime can reach (default: everything); a kind it cannot is unreachable, saying why */
  capabilities?: Capabilities;
}

const NOTHING = { jobs: 0, runs: 0, created: 0, updated: 0, archived: 0 };

/** A claim outlives a sync that ran into its timeout by this much. */
const LEASE_MARGIN_MS = 10_000;

export class SourceRunner {
  private readonly alarm: Alarm;
  private running: Promise<void> | null = null;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** one sync per source at a time in this process; the commit guards across processes */
  private readonly bySource = new Map<string, Promise<unknown>>();
  private readonly aborts = new Set<AbortController>();

  constructor(
    private readonly store: Store,
    private readonly options: SourceRunnerOptions,
  ) {
    this.alarm = new Alarm(options.clock);
  }

  /** For the deadline sweep: job checks wait for their source to be read after their deadline. */
  readonly deferDeadline = (tx: Tx, check: Check, now: number): Promise<number | null> =>
    deferUntilSynced(tx, check, now);

  /** Reads a source now, whatever its schedule, and says what the sync did. */
  readonly syncNow: SyncNow = (sourceId) => this.exclusive(sourceId);

  start(): void {
    this.running = this.loop();
  }

  /** Stops claiming, stops syncs that are still reading, and waits for the rest to commit. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.alarm.wake();
    await this.running;
    for (const controller of this.aborts) controller.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async loop(): Promise<void> {
    const { clock, logger } = this.options;
    while (!this.stopping) {
      try {
        await this.claimDue(clock.now());
      } catch (err) {
        // a refusal (disk full, read-only) was logged once by the storage monitor
        if (storageProblem(err) === null)
          logger.error({ err }, 'claiming due sources failed; retrying in a moment');
      }
      await this.alarm.sleepUntil(clock.now() + (this.options.pollMs ?? 1000));
    }
  }

  /** Claims as many due sources as there are free slots and starts reading them. */
  async claimDue(now: number): Promise<number> {
    return (await this.startDue(now)).length;
  }

  /**
   * One pass, for runtimes that run passes instead of the loop (a Durable Object's alarm on
   * Workers): claims what is due at `now` and waits for those syncs; returns how many.
   */
  async syncDue(now: number): Promise<number> {
    const started = await this.startDue(now);
    await Promise.all(started);
    return started.length;
  }

  /** The syncs started; each settles (never rejects) once it committed or failed. */
  private async startDue(now: number): Promise<Promise<unknown>[]> {
    const free = (this.options.concurrency ?? 4) - this.inFlight.size;
    if (free <= 0) return [];
    const lease = this.syncTimeoutMs + LEASE_MARGIN_MS;
    const due = await this.store.claimDueSources(now, now + lease, free);
    return due.map((source) => {
      const done = this.exclusive(source.id).catch((err: unknown) =>
        this.options.logger.error({ err, sourceId: source.id }, 'source sync failed'),
      );
      this.inFlight.add(done);
      void done.finally(() => {
        this.inFlight.delete(done);
        // a slot is free: more due sources may be waiting for it
        this.alarm.wake();
      });
      return done;
    });
  }

  private get syncTimeoutMs(): number {
    return this.options.syncTimeoutMs ?? 30_000;
  }

  /** Runs after any sync of the same source in this process; reads the source afresh then. */
  private exclusive(sourceId: string): Promise<SyncReport> {
    const before = this.bySource.get(sourceId) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(() => this.syncFresh(sourceId));
    this.bySource.set(sourceId, mine);
    void mine
      .catch(() => {})
      .finally(() => {
        if (this.bySource.get(sourceId) === mine) this.bySource.delete(sourceId);
      });
    return mine;
  }

  private async syncFresh(sourceId: string): Promise<SyncReport> {
    // A sync on another node may commit between our read and our commit; then read again.
    for (let attempt = 1; ; attempt++) {
      const source = await this.store.getSource(sourceId);
      if (source === null) throw new Error(`source ${sourceId} does not exist`);
      try {
        return await this.syncOne(source);
      } catch (err) {
        if (!(err instanceof StaleSync) || attempt >= 2) throw err;
      }
    }
  }

  private async syncOne(source: Source): Promise<SyncReport> {
    const { clock } = this.options;
    const readAt = clock.now();
    let result: SyncResult | null = null;
    let unreachable = '';
    try {
      result = await this.read(source, readAt);
    } catch (err) {
      // stopped by shutdown, not by the source: nothing to tell; the claim lapses and it is read again
      if (this.stopping) return { ...NOTHING, ok: false, error: 'vigil is stopping', at: readAt };
      unreachable = this.failureMessage(source, err);
      this.options.logger.warn(
        { source: source.name, sourceId: source.id, kind: source.kind, error: unreachable },
        'cannot read source',
      );
    }
    try {
      return await this.commit((tx, committed) => {
        const times = { readAt, now: clock.now() };
        return result
          ? commitSync(tx, source, result, times, this.deps, committed)
          : commitUnreachable(tx, source, unreachable, times, this.deps, committed);
      });
    } catch (err) {
      // another sync of this source (here or on another node) committed first
      if (err instanceof StaleSync || err instanceof ConflictError) throw new StaleSync(String(err));
      // Not the source's fault: keep the source due again soon and the error for its page.
      const message = this.failureMessage(source, err);
      this.options.logger.error(
        { source: source.name, sourceId: source.id, error: message },
        'storing a source sync failed',
      );
      await this.store
        .transaction(async (tx) => {
          const fresh = await tx.getSource(source.id);
          if (fresh === null) return;
          const now = clock.now();
          await tx.updateSource({
            ...fresh,
            lastSyncAt: readAt,
            lastError: message,
            lastErrorAt: readAt,
            nextSyncAt: now + fresh.syncInterval * 1000,
            updatedAt: now,
          });
        })
        .catch(() => {});
      return { ...NOTHING, ok: false, error: message, at: readAt };
    }
  }

  private async read(source: Source, now: number): Promise<SyncResult> {
    const unavailable = sourceKindProblem(source.kind, this.options.capabilities);
    if (unavailable !== null) throw new SourceUnreachable(unavailable);
    const controller = new AbortController();
    this.aborts.add(controller);
    // a guard, not a schedule: real time, whatever clock the loop runs on
    const timer = setTimeout(() => controller.abort(), this.syncTimeoutMs);
    timer.unref?.();
    try {
      return await adapterFor(source.kind).sync(source, {
        now,
        signal: controller.signal,
        http: this.options.http,
        allowPrivateTargets: this.options.allowPrivateTargets,
      });
    } finally {
      clearTimeout(timer);
      this.aborts.delete(controller);
    }
  }

  /** Runs `fn` in a transaction and announces what it committed, once it has. */
  private async commit(fn: (tx: Tx, committed: Committed[]) => Promise<SyncReport>): Promise<SyncReport> {
    const committed: Committed[] = [];
    const report = await this.store.transaction((tx) => {
      committed.length = 0; // a transaction may run again (D1): only its last run's count
      return fn(tx, committed);
    });
    for (const c of committed) {
      try {
        this.options.onCommitted?.(c);
      } catch {
        // committed whatever a listener does
      }
    }
    return report;
  }

  private failureMessage(source: Source, err: unknown): string {
    const raw =
      err instanceof SourceUnreachable
        ? err.message
        : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    return redactSecrets(source.kind, source.config, raw).slice(0, 500);
  }

  private get deps(): CommitSyncDeps {
    return {
      ingestor: this.options.ingestor,
      newId: this.options.newId,
      baseUrl: this.options.baseUrl,
      bodyLimit: this.options.bodyLimit ?? 10_000,
    };
  }
}
