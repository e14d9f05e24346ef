// The outbox worker: claims due notifications, hands each to its channel's notifier,
// records the attempt, and retries temporary failures with backoff for up to 24 hours.
// One check's alerts reach a channel in order: a row waits while an older one of its channel
// and check is pending (the store's claim), so only the oldest is retried during an outage.
// A row of a broken channel is failed with the reason, without asking the provider.

import { EventEmitter } from 'node:events';
import { type Capabilities, channelKindProblem } from '../capabilities.ts';
import type { Log } from '../log.ts';
import type { HttpClient } from '../notifiers/http.ts';
import type { AlertPayload, SendResult, SmtpSettings } from '../notifiers/notifier.ts';
import { getNotifier } from '../notifiers/registry.ts';
import { storageProblem } from '../store/storage-problem.ts';
import type { Notification, Store } from '../store/store.ts';
import { nextRetryDelay, RETRY_WINDOW_MS } from './backoff.ts';
import { Alarm, type Clock } from './clock.ts';

export interface DeliveryEvent {
  notification: Notification;
  result: SendResult;
  /** the final state of the row after this attempt */
  status: 'delivered' | 'pending' | 'failed';
  /** the channel's kind (slack, webhook, ...); null when the channel was deleted */
  channelKind: string | null;
}

export interface DispatcherOptions {
  clock: Clock;
  http: HttpClient;
  logger: Log;
  random?: () => number;
  /**
   * this node's name on the rows it leases (default: a random one). A dispatcher starting
   * under the name of one that died frees that one's leases at once.
   */
  nodeId?: string;
  /** how long a claimed row stays ours; longer than any single delivery can take */
  leaseMs?: number;
  /** deliveries in flight at once (default 16) */
  concurrency?: number;
  /** deliveries in flight at once to one channel (default 2), so a slow receiver cannot take every slot */
  channelConcurrency?: number;
  maxSleepMs?: number;
  /** the operator's SMTP server, for email channels */
  smtp?: SmtpSettings | null;
  /** what the runtime can reach (default: everything); a kind it cannot fails with the reason */
  capabilities?: Capabilities;
  /**
   * true while the database refuses writes (storage-health.ts): nothing sent could be recorded
   * (it would go out again each time its lease ended), so the outbox waits meanwhile
   */
  storageDown?: () => boolean;
}

/**
 * The id a delivery carries (X-Vigil-Delivery, a Matrix transaction id, an email Message-ID):
 * the same for every attempt of one notification, so receivers can drop a re-sent duplicate.
 * The creation time keeps it from repeating when a fresh database starts counting again.
 */
export function deliveryIdOf(n: Pick<Notification, 'id' | 'createdAt'>): string {
  return `${n.id}-${n.createdAt.toString(36)}`;
}

interface Filled {
  /** the deliveries started, each settling once its outcome is recorded (or failed to be) */
  started: Promise<void>[];
  /** every slot is taken */
  full: boolean;
  /** some channel was at its cap, so its due rows were left unclaimed */
  excluded: boolean;
}

/**
 * A pool: up to `concurrency` deliveries in flight, at most `channelConcurrency` of them to
 * one channel, and a free slot is filled as soon as a delivery finishes. A receiver that
 * never answers holds its channel's slots until the delivery timeout, and nothing else.
 */
export class Dispatcher extends EventEmitter<{ delivery: [DeliveryEvent]; error: [unknown] }> {
  private readonly alarm: Alarm;
  private running: Promise<void> | null = null;
  private stopping = false;
  /** deliveries in flight; each never rejects and removes itself once recorded */
  private readonly inFlight = new Set<Promise<void>>();
  /** deliveries in flight per channel id; channels with none are absent */
  private readonly perChannel = new Map<string, number>();
  /** claims run one at a time, so two of them cannot both fill the same free slots */
  private claiming: Promise<unknown> = Promise.resolve();
  readonly nodeId: string;

  constructor(
    private readonly store: Store,
    private readonly options: DispatcherOptions,
  ) {
    super();
    this.alarm = new Alarm(options.clock);
    this.nodeId = options.nodeId ?? `dispatcher-${crypto.randomUUID()}`;
  }

  async start(): Promise<void> {
    // Leases this node held when it died would otherwise delay those alerts until they run
    // out. Only its own: another node's leased rows may be in flight right now, and are
    // taken over only once their lease ends.
    await this.store.releaseLeases(this.nodeId).catch((err: unknown) => {
      // a database that refuses writes: those leases run out by themselves instead
      if (storageProblem(err) === null) throw err;
    });
    this.running = this.loop();
  }

  /** New notifications were queued. */
  nudge(): void {
    this.alarm.wake();
  }

  /** Stops claiming and waits for the deliveries in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.alarm.wake();
    await this.running;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async loop(): Promise<void> {
    const { clock, logger } = this.options;
    const maxSleepMs = this.options.maxSleepMs ?? 5000;
    while (!this.stopping) {
      const now = clock.now();
      if (this.options.storageDown?.()) {
        await this.alarm.sleepUntil(now + 1000); // nudged awake when writes work again
        continue;
      }
      let filled: Filled;
      try {
        filled = await this.fill(now);
      } catch (err) {
        // a refusal was logged once by the storage monitor
        if (storageProblem(err) === null) logger.error({ err }, 'dispatch failed; retrying in 1 s');
        // emit('error') throws when nobody listens, which would end the loop
        if (this.listenerCount('error') > 0) this.emit('error', err);
        await this.alarm.sleepUntil(clock.now() + 1000); // the alarm, so stop() need not wait
        continue;
      }
      // Every sleep below is cut short by nudge() and by each delivery that finishes.
      const cap = clock.now() + maxSleepMs;
      if (filled.full) {
        await this.alarm.sleepUntil(cap);
        continue;
      }
      const earliest = await this.store.earliestNotificationDue().catch(() => null);
      // A row due at `now` that the claim left is one of a channel at its cap: waking for it
      // would spin; one of that channel's deliveries finishing wakes us instead.
      if (earliest !== null && earliest <= now && filled.excluded) await this.alarm.sleepUntil(cap);
      else await this.alarm.sleepUntil(earliest === null ? cap : Math.min(earliest, cap));
    }
  }

  /**
   * Claims what is due at `now` into the free slots and delivers it, awaiting those
   * deliveries; returns how many rows were claimed. The loop does this by itself; tests call it.
   */
  async runOnce(now: number): Promise<number> {
    const { started } = await this.fill(now);
    const settled = await Promise.allSettled(started);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return started.length;
  }

  private fill(now: number): Promise<Filled> {
    const filled = this.claiming.then(() => this.claimInto(now));
    this.claiming = filled.catch(() => {});
    return filled;
  }

  /** Claims until every slot is taken or nothing more is due, never past a channel's cap. */
  private async claimInto(now: number): Promise<Filled> {
    const concurrency = this.options.concurrency ?? 16;
    const perChannel = this.options.channelConcurrency ?? 2;
    const leaseUntil = now + (this.options.leaseMs ?? 60_000);
    const started: Promise<void>[] = [];
    for (;;) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) return { started, full: true, excluded: false };
      // Channels at their cap are left out; a claim may return rows of one channel only, so it
      // asks for no more rows than the channel with the least room left can take.
      const atCap: string[] = [];
      let room = perChannel;
      for (const [channelId, count] of this.perChannel) {
        if (count >= perChannel) atCap.push(channelId);
        else room = Math.min(room, perChannel - count);
      }
      const limit = Math.min(free, room);
      const rows = await this.store.claimNotifications(now, leaseUntil, limit, atCap, this.nodeId);
      for (const n of rows) started.push(this.launch(n));
      if (rows.length < limit) return { started, full: false, excluded: atCap.length > 0 };
    }
  }

  /** Starts one delivery in a slot; the slot frees, and the loop wakes, once it is recorded. */
  private launch(n: Notification): Promise<void> {
    this.perChannel.set(n.channelId, (this.perChannel.get(n.channelId) ?? 0) + 1);
    const delivery = this.deliver(n);
    const tracked = delivery
      .catch((err: unknown) => {
        // The row keeps its lease and is claimed again when it ends: late, never lost.
        this.options.logger.error(
          { err, notification: n.id, channel: n.channelId },
          'delivery not recorded; retried when its lease ends',
        );
        if (this.listenerCount('error') > 0) this.emit('error', err);
      })
      .finally(() => {
        this.inFlight.delete(tracked);
        const left = (this.perChannel.get(n.channelId) ?? 1) - 1;
        if (left > 0) this.perChannel.set(n.channelId, left);
        else this.perChannel.delete(n.channelId);
        this.alarm.wake();
      });
    this.inFlight.add(tracked);
    return delivery;
  }

  private async deliver(n: Notification): Promise<void> {
    const { clock, logger } = this.options;
    const started = clock.now();
    const { result, channelBroken, channelKind } = await this.send(n);
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
      // A retry went through: the provider is back. The channel's other alerts waiting out
      // their backoff (up to an hour) go now, as fast as its share of the pool allows.
      if (n.attempts > 1) await this.store.retryChannelNow(n.channelId, at);
      status = 'delivered';
    } else if (result.outcome === 'failed') {
      await this.store.finishNotification(n.id, 'failed', at, result.error);
      // an already broken channel keeps the provider's answer that broke it
      if (!channelBroken) await this.markBroken(n.channelId, result.error, at);
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
    else if (channelBroken) logger.error(log, 'alert not delivered: the channel is broken');
    else logger.warn(log, 'alert not delivered');
    this.emit('delivery', { notification: n, result, status, channelKind });
  }

  /** The provider's answer; `channelBroken` when the channel was broken and no provider was asked. */
  private async send(
    n: Notification,
  ): Promise<{ result: SendResult; channelBroken: boolean; channelKind: string | null }> {
    let channelKind: string | null = null;
    const failed = (error: string) => ({
      result: { outcome: 'failed', error } as const,
      channelBroken: false,
      channelKind,
    });
    try {
      const channel = await this.store.getChannel(n.channelId);
      if (!channel) return failed('the channel was deleted');
      channelKind = channel.kind;
      // Its provider refused us for good: asking again would only fail again. The row fails
      // with the reason, in the outbox history, until someone fixes the channel.
      if (channel.brokenReason !== null)
        return { ...failed(`channel is broken: ${channel.brokenReason}`), channelBroken: true };
      const notifier = getNotifier(channel.kind);
      if (!notifier) return failed(`unknown channel kind ${channel.kind}`);
      // permanent here: failing marks the channel broken with the reason, for the operator
      const unavailable = channelKindProblem(channel.kind, this.options.capabilities);
      if (unavailable !== null) return failed(unavailable);
      const config = notifier.configSchema.safeParse(channel.config);
      if (!config.success) return failed(`the channel's settings are invalid: ${config.error.message}`);
      const payload = JSON.parse(n.payload) as AlertPayload;
      const result = await notifier.send(payload, config.data, {
        http: this.options.http,
        deliveryId: deliveryIdOf(n),
        ...(this.options.smtp ? { smtp: this.options.smtp } : {}),
      });
      return { result, channelBroken: false, channelKind };
    } catch (err) {
      // A notifier that throws is a bug or an outage we did not classify: retry, never drop.
      return {
        result: { outcome: 'retry', error: `unexpected error: ${(err as Error).message}` },
        channelBroken: false,
        channelKind,
      };
    }
  }

  private async markBroken(channelId: string, reason: string, at: number): Promise<void> {
    const channel = await this.store.getChannel(channelId);
    if (channel)
      await this.store.updateChannel({ ...channel, brokenReason: reason, brokenAt: at, updatedAt: at });
  }
}
