// Keeps the database from growing without bound: flips are kept for a year, finished
// notifications for 90 days, audit log entries for VIGIL_AUDIT_RETENTION_DAYS (a year by
// default), expired dashboard sessions not at all. Pings are pruned as they arrive (see
// insertPing).
import type { Log } from '../log.ts';
import type { Store } from '../store/store.ts';
import { Alarm, type Clock } from './clock.ts';

const DAY = 86_400_000;
export const FLIP_RETENTION_MS = 365 * DAY;
export const NOTIFICATION_RETENTION_MS = 90 * DAY;
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

export class Pruner {
  private readonly alarm: Alarm;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly options: {
      clock: Clock;
      logger: Log;
      everyMs?: number;
      batch?: number;
      /** days an audit log entry is kept (default a year) */
      auditRetentionDays?: number;
    },
  ) {
    this.alarm = new Alarm(options.clock);
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.alarm.wake();
    await this.running;
  }

  /** Deletes one batch at a time so a big backlog never holds the write lock for long. */
  async pruneOnce(now: number): Promise<number> {
    const batch = this.options.batch ?? 2000;
    let total = await this.store.deleteExpiredSessions(now);
    for (;;) {
      const n = await this.store.prune(now - FLIP_RETENTION_MS, now - NOTIFICATION_RETENTION_MS, batch);
      total += n;
      if (n < batch || this.stopping) break;
    }
    const auditBefore = now - (this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS) * DAY;
    for (;;) {
      const n = await this.store.pruneAudit(auditBefore, batch);
      total += n;
      if (n < batch || this.stopping) return total;
    }
  }

  private async loop(): Promise<void> {
    const { clock, logger } = this.options;
    while (!this.stopping) {
      try {
        const n = await this.pruneOnce(clock.now());
        if (n > 0) logger.info({ deleted: n }, 'pruned old history');
      } catch (err) {
        logger.error({ err }, 'pruning failed; trying again later');
      }
      await this.alarm.sleepUntil(clock.now() + (this.options.everyMs ?? 3_600_000));
    }
  }
}
