// The outbox worker: claims due notifications, hands each to its channel's notifier,
// records the attempt, and retries temporary failures with backoff for up to 24 hours.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { HttpClient } from '../notifiers/http.ts';
import type { AlertPayload, SendResult } from '../notifiers/notifier.ts';
import { getNotifier } from '../notifiers/registry.ts';
import type { Notification, Store } from '../store/store.ts';
import { nextRetryDelay, RETRY_WINDOW_MS } from './backoff.ts';
import { Alarm, type Clock } from './clock.ts';

export interface DeliveryEvent {
  notification: Notification;
  result: SendResult;
  /** the final state of the row after this attempt */
  status: 'delivered' | 'pending' | 'failed';
}

export interface DispatcherOptions {
  clock: Clock;
  http: HttpClient;
  logger: Logger;
  random?: () => number;
  /** how long a claimed row stays ours; longer than any single delivery can take */
  leaseMs?: number;
  batchSize?: number;
  maxSleepMs?: number;
}

export class Dispatcher extends EventEmitter<{ delivery: [DeliveryEvent]; error: [unknown] }> {
  private readonly alarm: Alarm;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly options: DispatcherOptions,
  ) {
    super();
    this.alarm = new Alarm(options.clock);
  }

  async start(): Promise<void> {
    // Leases held when the process died would otherwise delay those alerts until they expire.
    await this.store.releaseLeases();
    this.running = this.loop();
  }

  /** New notifications were queued. */
  nudge(): void {
    this.alarm.wake();
  }

  /** Stops claiming and waits for the deliveries in flight to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.alarm.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { clock, logger } = this.options;
    const batchSize = this.options.batchSize ?? 16;
    while (!this.stopping) {
      const now = clock.now();
      let claimed = 0;
      try {
        claimed = await this.runOnce(now, batchSize);
      } catch (err) {
        logger.error({ err }, 'dispatch failed; retrying in 1 s');
        // emit('error') throws when nobody listens, which would end the loop
        if (this.listenerCount('error') > 0) this.emit('error', err);
        await this.alarm.sleepUntil(clock.now() + 1000); // the alarm, so stop() need not wait
        continue;
      }
      if (claimed >= batchSize) continue;
      const earliest = await this.store.earliestNotificationDue().catch(() => null);
      const cap = clock.now() + (this.options.maxSleepMs ?? 5000);
      await this.alarm.sleepUntil(earliest === null ? cap : Math.min(earliest, cap));
    }
  }

  /** Claims what is due at `now` and delivers it; returns how many rows were claimed. */
  async runOnce(now: number, batchSize = this.options.batchSize ?? 16): Promise<number> {
    const rows = await this.store.claimNotifications(now, now + (this.options.leaseMs ?? 60_000), batchSize);
    await Promise.all(rows.map((n) => this.deliver(n)));
    return rows.length;
  }

  private async deliver(n: Notification): Promise<void> {
    const { clock, logger } = this.options;
    const started = clock.now();
    const result = await this.send(n);
    const at = clock.now();
    const error = result.outcome === 'delivered' ? null : result.error;
    let status: DeliveryEvent['status'];
    // Each write is its own statement: a crash between them re-sends at most this one row.
    await this.store.recordAttempt({
      notificationId: n.id,
      at,
      outcome: result.outcome,
      error,
      durationMs: at - started,
    });
    if (result.outcome === 'delivered') {
      await this.store.finishNotification(n.id, 'delivered', at, null);
      status = 'delivered';
    } else if (result.outcome === 'failed') {
      await this.store.finishNotification(n.id, 'failed', at, result.error);
      await this.markBroken(n.channelId, result.error, at);
      status = 'failed';
    } else if (at - n.createdAt >= RETRY_WINDOW_MS) {
      await this.store.finishNotification(n.id, 'failed', at, `gave up after 24 h: ${result.error}`);
      status = 'failed';
    } else {
      const delay = nextRetryDelay(n.attempts, this.options.random ?? Math.random, result.retryAfterMs);
      await this.store.retryNotification(n.id, at + delay, result.error);
      status = 'pending';
    }
    const log = {
      notification: n.id,
      channel: n.channelId,
      event: n.event,
      attempt: n.attempts,
      status,
      error,
    };
    if (status === 'delivered') logger.info(log, 'alert delivered');
    else logger.warn(log, 'alert not delivered');
    this.emit('delivery', { notification: n, result, status });
  }

  private async send(n: Notification): Promise<SendResult> {
    try {
      const channel = await this.store.getChannel(n.channelId);
      if (!channel) return { outcome: 'failed', error: 'the channel was deleted' };
      const notifier = getNotifier(channel.kind);
      if (!notifier) return { outcome: 'failed', error: `unknown channel kind ${channel.kind}` };
      const config = notifier.configSchema.safeParse(channel.config);
      if (!config.success)
        return { outcome: 'failed', error: `the channel's settings are invalid: ${config.error.message}` };
      const payload = JSON.parse(n.payload) as AlertPayload;
      return await notifier.send(payload, config.data, { http: this.options.http, deliveryId: String(n.id) });
    } catch (err) {
      // A notifier that throws is a bug or an outage we did not classify: retry, never drop.
      return { outcome: 'retry', error: `unexpected error: ${(err as Error).message}` };
    }
  }

  private async markBroken(channelId: string, reason: string, at: number): Promise<void> {
    const channel = await this.store.getChannel(channelId);
    if (channel)
      await this.store.updateChannel({ ...channel, brokenReason: reason, brokenAt: at, updatedAt: at });
  }
}
