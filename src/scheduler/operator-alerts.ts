// Telling the operator about vigil itself: its database refuses writes, and later that it takes
// them again. The outbox lives in that database, so these messages cannot wait in it: they go
// straight to the channels, from memory, retried with backoff until delivered (or until the
// provider refuses them for good, or vigil stops).
//
// Who hears it: every working channel of the operator's project, whatever its routing rule
// (the message is about vigil, not about a check). The operator's project is the one
// VIGIL_OPERATOR_PROJECT names (by id or name), else the oldest project (the one the first
// start made). Its channels are read when the message is sent: reads still work when writes
// do not.
import { type Capabilities, channelKindProblem } from '../capabilities.ts';
import type { Log } from '../log.ts';
import type { HttpClient } from '../notifiers/http.ts';
import type { AlertPayload, SmtpSettings } from '../notifiers/notifier.ts';
import { getNotifier } from '../notifiers/registry.ts';
import { conditionTime, type StorageCondition } from '../store/storage-problem.ts';
import type { Channel, Project, Store } from '../store/store.ts';
import { nextRetryDelay } from './backoff.ts';
import type { Clock } from './clock.ts';

/** the check id operator messages carry: they are about vigil itself, not about a check */
export const OPERATOR_CHECK_ID = '00000000-0000-4000-8000-0000000000db';
/** an operator message waits at most this long between tries (check alerts wait up to 1 h) */
const MAX_RETRY_MS = 5 * 60_000;

export interface OperatorAlertOptions {
  clock: Clock;
  logger: Log;
  http: HttpClient;
  baseUrl: string;
  /** VIGIL_OPERATOR_PROJECT: a project's id or name; null: the oldest project */
  project: string | null;
  smtp?: SmtpSettings | null;
  capabilities?: Capabilities;
  random?: () => number;
}

export class OperatorAlerts {
  /** per channel id, the message being delivered: the next waits for it, so they arrive in order */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopped = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly options: OperatorAlertOptions,
  ) {}

  /** The database began refusing writes. */
  storageDown(c: StorageCondition): void {
    const reason =
      `vigil cannot write to its database since ${conditionTime(c.since)}: ${c.problem.what}. ` +
      'Pings are refused with 503 (clients are told to send them again) and alerts wait until it can write again. ' +
      `To fix: ${c.problem.todo}; vigil carries on by itself once writes work (it tries every few seconds).`;
    this.send(this.payload('down', c, reason), `storage-${c.since.toString(36)}-down`);
  }

  /** The database takes writes again. */
  storageUp(c: StorageCondition, until: number): void {
    const reason =
      `vigil can write to its database again (it could not from ${conditionTime(c.since)}: ${c.problem.what}). ` +
      'Pings are accepted again, and the alerts held meanwhile go out now.';
    this.send(this.payload('up', c, reason, until), `storage-${c.since.toString(36)}-up`);
  }

  /** Stops retrying; waits for the sends in flight. */
  async stop(): Promise<void> {
    this.stopped.abort();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** The project whose channels hear about vigil itself. */
  async operatorProject(): Promise<Project | null> {
    const wanted = this.options.project;
    if (wanted !== null) {
      const named = (await this.store.getProject(wanted)) ?? (await this.store.getProjectByName(wanted));
      if (named) return named;
      this.options.logger.warn(
        { project: wanted },
        'VIGIL_OPERATOR_PROJECT names no project; telling the oldest project instead',
      );
    }
    return (await this.store.listProjects())[0] ?? null;
  }

  private payload(event: 'down' | 'up', c: StorageCondition, reason: string, until?: number): AlertPayload {
    const { baseUrl } = this.options;
    return {
      event,
      check: {
        id: OPERATOR_CHECK_ID,
        name: "vigil's database",
        slug: 'vigil-database',
        tags: ['vigil'],
        status: event,
        severity: 'critical',
        schedule: 'vigil itself',
        last_ping_at: null,
        ping_url: `${baseUrl}/healthz`,
        url: `${baseUrl}/`,
      },
      flip: {
        id: 0,
        from: event === 'down' ? 'up' : 'down',
        to: event,
        at: new Date(until ?? c.since).toISOString(),
        reason,
      },
      project: { id: '', name: '' },
      downtime_ms: until === undefined ? null : until - c.since,
      last_ping_body: null,
    };
  }

  private send(payload: AlertPayload, deliveryId: string): void {
    const job = this.fanOut(payload, deliveryId).catch((err: unknown) =>
      this.options.logger.error({ err, deliveryId }, 'operator alert not sent'),
    );
    this.track(job);
  }

  private track(job: Promise<void>): void {
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  /** Reads the operator's channels (retrying while reads fail too) and queues the message to each. */
  private async fanOut(payload: AlertPayload, deliveryId: string): Promise<void> {
    const { logger } = this.options;
    let channels: Channel[] | null = null;
    for (let attempt = 1; channels === null; attempt++) {
      try {
        const project = await this.operatorProject();
        if (!project) return;
        payload.project = { id: project.id, name: project.name };
        channels = (await this.store.listChannels(project.id)).filter((ch) => ch.brokenReason === null);
      } catch (err) {
        logger.warn({ err }, 'cannot read the operator channels; trying again');
        if (!(await this.wait(attempt))) return;
      }
    }
    if (channels.length === 0) {
      logger.error(
        { project: payload.project.name, event: payload.event },
        'no channel in the operator project to tell about the database; only the log and the dashboard say it',
      );
      return;
    }
    for (const ch of channels) {
      const tail = (this.tails.get(ch.id) ?? Promise.resolve()).then(() =>
        this.deliver(ch, payload, deliveryId),
      );
      this.tails.set(ch.id, tail);
      this.track(tail);
      void tail.finally(() => {
        if (this.tails.get(ch.id) === tail) this.tails.delete(ch.id);
      });
    }
  }

  /** Tries one channel until it takes the message, refuses it for good, or vigil stops. */
  private async deliver(ch: Channel, payload: AlertPayload, deliveryId: string): Promise<void> {
    const { logger, http, smtp, capabilities } = this.options;
    const log = { channel: ch.id, kind: ch.kind, event: payload.event, deliveryId };
    const notifier = getNotifier(ch.kind);
    const unavailable = channelKindProblem(ch.kind, capabilities);
    const config = notifier?.configSchema.safeParse(ch.config);
    if (!notifier || unavailable !== null || !config?.success) {
      logger.error(
        { ...log, error: unavailable ?? 'unknown kind or invalid settings' },
        'operator alert not sent',
      );
      return;
    }
    for (let attempt = 1; ; attempt++) {
      let error: string;
      let retryAfterMs: number | undefined;
      try {
        const result = await notifier.send(payload, config.data, {
          http,
          deliveryId,
          ...(smtp ? { smtp } : {}),
        });
        if (result.outcome === 'delivered') {
          logger.info(log, 'operator alert delivered');
          return;
        }
        if (result.outcome === 'failed') {
          logger.error({ ...log, error: result.error }, 'operator alert refused by the channel');
          return;
        }
        error = result.error;
        retryAfterMs = result.retryAfterMs;
      } catch (err) {
        error = `unexpected error: ${(err as Error).message}`;
      }
      logger.warn({ ...log, attempt, error }, 'operator alert not delivered; retrying');
      if (!(await this.wait(attempt, retryAfterMs))) return;
    }
  }

  /** Sleeps the backoff after `attempt`; false once vigil is stopping. */
  private async wait(attempt: number, retryAfterMs?: number): Promise<boolean> {
    const delay = nextRetryDelay(attempt, this.options.random ?? Math.random, retryAfterMs);
    await this.options.clock.sleep(Math.min(delay, MAX_RETRY_MS), this.stopped.signal);
    return !this.stopped.signal.aborted;
  }
}
