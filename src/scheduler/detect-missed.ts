// The deadline sweep: checks whose next_deadline has passed are claimed (so nodes on one
// database share them instead of all working on each), run through the state machine, and
// their new state, flip and notifications are committed together.

import { EventEmitter } from 'node:events';
import { transition } from '../core/status.ts';
import type { Transition } from '../core/types.ts';
import { type Committed, ConflictError, commitTransition } from '../ingest/commit-transition.ts';
import type { Log } from '../log.ts';
import { databaseOutage } from '../store/database-unavailable.ts';
import { cachedReads } from '../store/read-cache.ts';
import { storageProblem } from '../store/storage-problem.ts';
import type { Check, Store, Tx } from '../store/store.ts';
import { runAlertTimers } from './alert-timers.ts';
import { Alarm, type Clock } from './clock.ts';

export interface SweepEvent {
  at: number;
  due: number;
  flipped: number;
  queued: number;
  /** how far behind its deadline the most overdue check of this sweep was, in ms */
  maxLagMs: number;
}

export interface DeadlineSchedulerOptions {
  clock: Clock;
  baseUrl: string;
  logger: Log;
  /** this node's name in sweep claims (default: a random one) */
  nodeId?: string;
  /**
   * How long a claimed batch stays this node's (default 10 s). Longer than a batch takes;
   * if this node dies holding it, other nodes take the checks over when it ends.
   */
  claimMs?: number;
  batchSize?: number;
  /** the longest the loop sleeps, even with nothing due (covers deadlines written by others) */
  maxSleepMs?: number;
  /** how often vigil records that it is alive */
  livenessEveryMs?: number;
  onCommitted?: (c: Committed) => void;
  /** notifications were queued by a release or a reminder */
  onQueued?: (count: number) => void;
  /**
   * Asked before a passed deadline is acted on; a later time returned becomes the check's
   * deadline instead, with no transition. Sources use it: a job's runs are seen only at its
   * source's next sync, so the deadline waits for that sync.
   */
  deferDeadline?: (tx: Tx, check: Check, now: number) => Promise<number | null>;
  /**
   * true while the database refuses writes (storage-health.ts). Pings are refused then (503),
   * so deadlines that pass are not the checks' fault: the sweep waits, and once writes work
   * it gives them a fresh grace first, as after vigil's own outage.
   */
  storageDown?: () => boolean;
}

/** meta key: when a sweep last ran (what /healthz and the outage recovery look at) */
export const ALIVE_KEY = 'scheduler.alive_at';
const LAG_WINDOW_MS = 60_000;

export class DeadlineScheduler extends EventEmitter<{
  sweep: [SweepEvent];
  recovered: [number];
  error: [unknown];
}> {
  private readonly alarm: Alarm;
  private running: Promise<void> | null = null;
  private stopping = false;
  private lastAliveWrite = 0;
  /** deadlines may have starved while the database refused writes: recover before sweeping */
  private starved = false;
  lastSweep: SweepEvent | null = null;
  private readonly lags: { at: number; lagMs: number }[] = [];
  readonly nodeId: string;

  constructor(
    private readonly store: Store,
    private readonly options: DeadlineSchedulerOptions,
  ) {
    super();
    this.alarm = new Alarm(options.clock);
    this.nodeId = options.nodeId ?? `scheduler-${crypto.randomUUID()}`;
  }

  /** Gives starved deadlines a fresh grace, then sweeps until stopped. */
  async start(): Promise<void> {
    try {
      await this.recoverFromOutage();
    } catch (err) {
      // The database refuses writes (a read-only file) or cannot be reached: the loop
      // recovers once it works.
      if (!databaseOutage(err)) throw err;
      this.starved = true;
    }
    this.running = this.loop();
  }

  /** Called when a deadline may have moved earlier. */
  nudge(deadline: number | null): void {
    if (deadline !== null) this.alarm.wakeBy(deadline);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.alarm.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { clock, logger } = this.options;
    const batchSize = this.options.batchSize ?? 500;
    while (!this.stopping) {
      const now = clock.now();
      if (this.options.storageDown?.()) {
        this.starved = true;
        await this.alarm.sleepUntil(now + 1000); // nudged awake when writes work again
        continue;
      }
      let due = 0;
      try {
        if (this.starved) {
          await this.recoverFromOutage();
          this.starved = false;
        }
        due = await this.sweep(now, batchSize);
        due = Math.max(due, await this.runTimers(now, batchSize));
        await this.writeLiveness(now);
      } catch (err) {
        // Pings are refused meanwhile (503), so deadlines that pass now are not the checks'
        // fault: once the database works again they get a fresh grace first.
        if (databaseOutage(err)) this.starved = true;
        // A refusal was logged once by the storage monitor; an unreachable database is not.
        if (storageProblem(err) === null) logger.error({ err }, 'deadline sweep failed; retrying in 1 s');
        // emit('error') throws when nobody listens, which would end the loop
        if (this.listenerCount('error') > 0) this.emit('error', err);
        await this.alarm.sleepUntil(clock.now() + 1000); // the alarm, so stop() need not wait
        continue;
      }
      if (due >= batchSize) {
        // More are due: drain before sleeping, but let waiting pings and requests in between
        // batches (the store is synchronous underneath, so nothing else runs during one).
        await yieldToEventLoop();
        continue;
      }
      const cap = now + (this.options.maxSleepMs ?? 1000);
      await this.alarm.sleepUntil(Math.min(cap, ...(await this.nextWakeTimes())));
    }
  }

  /** Deadlines, held alerts and reminders: the earliest of each that is pending. */
  private async nextWakeTimes(): Promise<number[]> {
    const times: (number | null)[] = await Promise.all([
      this.store.earliestDeadline(),
      this.store.earliestRelease(),
      this.store.earliestReminder(),
    ]).catch(() => []);
    return times.filter((t): t is number => t !== null);
  }

  /** Held alerts whose window ended and reminders that are due; returns how many were handled. */
  async runTimers(now: number, batchSize = this.options.batchSize ?? 500): Promise<number> {
    const result = await runAlertTimers(
      this.store,
      now,
      batchSize,
      { baseUrl: this.options.baseUrl },
      { owner: this.nodeId, until: now + this.claimMs },
    );
    for (const check of result.changed) this.options.onCommitted?.({ check, flipId: null, queued: 0 });
    if (result.queued > 0) this.options.onQueued?.(result.queued);
    return result.handled;
  }

  private get claimMs(): number {
    return this.options.claimMs ?? 10_000;
  }

  /** One pass over what is due at `now`; returns how many checks this node took. */
  async sweep(now: number, batchSize = this.options.batchSize ?? 500): Promise<number> {
    const { due, committed, maxLagMs } =
      this.store.engine === 'sqlite'
        ? await this.sweepInOneTransaction(now, batchSize)
        : await this.sweepClaimed(now, batchSize);
    for (const c of committed) this.options.onCommitted?.(c);
    let flipped = 0;
    let queued = 0;
    for (const c of committed) {
      if (c.flipId !== null) flipped++;
      queued += c.queued;
    }
    this.emitSweep({ at: now, due, flipped, queued, maxLagMs });
    return due;
  }

  /**
   * SQLite: one process owns the file (process-lock.ts) and BEGIN IMMEDIATE holds it for the
   * whole transaction, so the due checks read inside it cannot move before it commits. There
   * is nothing to claim, release or read again: three writes and a read per check fewer.
   */
  private async sweepInOneTransaction(now: number, batchSize: number) {
    return await this.store.transaction(async (tx) => {
      const due = await tx.dueChecks(now, batchSize);
      return { due: due.length, ...(await this.decide(tx, due, now, false)) };
    });
  }

  /**
   * PostgreSQL (nodes share the database) and D1 (a transaction's reads run at once, its
   * writes at commit): claim first, so nodes and passes work on different checks.
   */
  private async sweepClaimed(now: number, batchSize: number) {
    const owner = this.nodeId;
    const due = await this.store.claimDueChecks(now, now + this.claimMs, batchSize, owner);
    if (due.length === 0) return { due: 0, committed: [], maxLagMs: 0 };
    const ids = due.map((c) => c.id);
    const done = await this.store
      .transaction(async (tx) => {
        const done = await this.decide(tx, due, now, true);
        // with the writes: the next node to look finds the checks moved on and free
        await tx.releaseCheckClaims(owner, ids);
        return done;
      })
      .catch(async (err: unknown) => {
        // Free them now rather than when the claim ends, so the retry need not wait for it.
        await this.store.releaseCheckClaims(owner, ids).catch(() => {});
        throw err;
      });
    return { due: due.length, ...done };
  }

  /**
   * Runs each due check through the state machine and commits what it decides. `reread`:
   * the checks were read before this transaction (claimed), and a ping may have moved them.
   */
  private async decide(
    txn: Tx,
    due: Check[],
    now: number,
    reread: boolean,
  ): Promise<{ committed: Committed[]; maxLagMs: number }> {
    // the batch's checks share projects: their channels and windows are read once each
    const tx = cachedReads(txn);
    const committed: Committed[] = [];
    let maxLagMs = 0;
    // By id, the order pings take check rows in too (see ingest.ts), so neither waits on
    // the other in a cycle: each check read here stays locked until the commit on PostgreSQL.
    for (const seen of [...due].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const check = reread ? await tx.getCheck(seen.id) : seen;
      if (!check || check.nextDeadline === null || check.nextDeadline > now) continue;
      const deferred = await this.options.deferDeadline?.(tx, check, now);
      if (deferred != null && deferred > now) {
        const t: Transition = {
          state: { ...check, nextDeadline: deferred },
          flip: null,
          durationMs: null,
          ignored: false,
        };
        await commitTransition(tx, check, t, now, { baseUrl: this.options.baseUrl }).then(
          (c) => committed.push(c),
          (err: unknown) => {
            if (!(err instanceof ConflictError)) throw err; // a ping moved it meanwhile: that stands
          },
        );
        continue;
      }
      maxLagMs = Math.max(maxLagMs, now - check.nextDeadline);
      let t: Transition;
      try {
        t = transition(check, { type: 'deadline' }, now);
      } catch (err) {
        // One check the state machine cannot handle (a schedule that no longer parses) must
        // not hold back every other due check: leave it as it is and look again in 60 s.
        this.options.logger.error({ err, check: check.id }, 'deadline check failed; retrying in 60 s');
        t = {
          state: { ...check, nextDeadline: now + 60_000 },
          flip: null,
          durationMs: null,
          ignored: false,
        };
      }
      if (!t.flip && t.state.nextDeadline !== null && t.state.nextDeadline <= now) {
        // The state machine promises progress; if it ever broke that, we would spin here.
        this.options.logger.error({ check: check.id }, 'deadline did not move; retrying in 60 s');
        t.state = { ...t.state, nextDeadline: now + 60_000 };
      }
      try {
        committed.push(await commitTransition(tx, check, t, now, { baseUrl: this.options.baseUrl }));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err; // another node acted first: its work stands
      }
    }
    return { committed, maxLagMs };
  }

  private emitSweep(e: SweepEvent): void {
    this.lastSweep = e;
    if (e.due > 0) {
      this.lags.push({ at: e.at, lagMs: e.maxLagMs });
      while (this.lags.length > 0 && this.lags[0]!.at < e.at - LAG_WINDOW_MS) this.lags.shift();
    }
    this.emit('sweep', e);
  }

  /** The worst deadline-to-sweep delay of the last minute: what /healthz reports. */
  maxRecentLagMs(now: number): number {
    let max = 0;
    for (const l of this.lags) if (l.at >= now - LAG_WINDOW_MS && l.lagMs > max) max = l.lagMs;
    return max;
  }

  /**
   * For runtimes that run single passes instead of the loop (a Durable Object's alarm on
   * Workers calls sweep() and runTimers()): records that the sweep is alive, as the loop does.
   * When the last record is older than `outageMs` (longer than passes are ever apart), vigil
   * itself was not running: first give starved deadlines a fresh grace, as start() does.
   */
  async markAlive(now: number, outageMs: number): Promise<void> {
    const aliveAt = Number((await this.store.getMeta(ALIVE_KEY)) ?? Number.NaN);
    if (Number.isFinite(aliveAt) && now - aliveAt > outageMs) await this.recoverFromOutage();
    else await this.writeLiveness(now);
  }

  private async writeLiveness(now: number): Promise<void> {
    if (now - this.lastAliveWrite < (this.options.livenessEveryMs ?? 5000)) return;
    await this.store.setMeta(ALIVE_KEY, String(now));
    this.lastAliveWrite = now;
  }

  /**
   * Deadlines that fell while vigil itself was down are not the checks' fault: each gets
   * a fresh grace from now instead of an immediate alarm.
   */
  private async recoverFromOutage(): Promise<void> {
    const now = this.options.clock.now();
    const aliveAt = Number((await this.store.getMeta(ALIVE_KEY)) ?? Number.NaN);
    let moved = 0;
    if (Number.isFinite(aliveAt) && aliveAt < now) {
      let afterId = '';
      for (;;) {
        const page = await this.store.checksWithDeadlineBetween(aliveAt, now, 500, afterId);
        if (page.length === 0) break;
        afterId = page.at(-1)!.id;
        const moveAll = async (tx: Tx) => {
          let n = 0;
          for (const c of page) {
            const fresh = now + graceMs(c);
            if (c.nextDeadline !== null && c.nextDeadline < fresh) {
              if (await tx.updateCheck({ ...c, nextDeadline: fresh, rev: c.rev + 1, updatedAt: now }, c.rev))
                n++;
            }
          }
          return n;
        };
        moved += await this.store.transaction(moveAll).catch(async (err: unknown) => {
          // With other nodes sweeping the same checks in another order, PostgreSQL may end this
          // transaction as a deadlock. One statement per check cannot deadlock: do the page so.
          this.options.logger.warn({ err }, 'recovering starved deadlines one by one');
          return moveAll(this.store);
        });
      }
    }
    await this.store.setMeta(ALIVE_KEY, String(now));
    this.lastAliveWrite = now;
    if (moved > 0)
      this.options.logger.warn({ moved, downSinceMs: now - aliveAt }, 'gave starved deadlines a fresh grace');
    this.emit('recovered', moved);
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function graceMs(c: Check): number {
  return Math.max(1000, c.schedule.kind === 'none' ? 0 : c.schedule.grace * 1000);
}
