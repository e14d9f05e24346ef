// The clock on Workers: one Durable Object (named "clock") runs all timed work: the deadline
// sweep, held-alert releases and reminders, notification delivery (the same outbox, retries and
// backoff as on Node), probes, source syncs and pruning. Passes run one at a time, in one place,
// so no work is ever done twice at once. After each pass the alarm is set to the earliest thing
// due, at most a minute away; a request that commits something earlier wakes it sooner
// (clock-client.ts), and the per-minute Cron Trigger runs a pass as a safety net.
import type { Log } from '../../log.ts';
import type { Store } from '../../store/store.ts';
import { CLOCK_NODE_ID, type ClockServices, clockServices } from './clock-services.ts';
import { consoleLog } from './console-log.ts';
import { loadWorkerConfig, type WorkerConfig } from './worker-config.ts';
import type { DurableObjectState, WorkerEnv } from './worker-env.ts';
import { openWorkerStore } from './worker-store.ts';

/** The longest the alarm is ever set ahead: also picks up work written without a wake. */
const SAFETY_MS = 60_000;
/** Passes further apart than this mean vigil itself was not running (see markAlive). */
const OUTAGE_MS = 3 * 60_000;
/** When something is due but a pass could do none of it, the next try waits this long. */
const IDLE_RETRY_MS = 1000;
const PRUNE_EVERY_MS = 3_600_000;
/** How late after the minute a cron trigger may start (VIGIL_CLOCK_ALARMS=false) */
const CRON_SLACK_MS = 10_000;
/** At most this many rounds in a pass on the cron trigger alone (each round sweeps a batch). */
const CRON_ROUNDS = 20;
/** Links in alerts before any request told the clock where vigil is (VIGIL_BASE_URL unset). */
const UNKNOWN_BASE_URL = 'http://localhost';
/** More alarm times than this kept for isolates: the latest ones go (a late pass, not a lost one). */
const MAX_PROMISES = 256;

interface WakeBody {
  at: number;
  /** the origin requests reach vigil at, for links in alerts when VIGIL_BASE_URL is unset */
  origin?: string | null;
}

export class VigilClock {
  private made: { baseUrl: string; services: ClockServices } | null = null;
  private store: Promise<Store> | null = null;
  /** the pass waiting for the one running to finish; further calls join it */
  private queued: Promise<void> | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** reading and setting the alarm, one at a time (a wake during a pass must not be lost) */
  private alarmLock: Promise<unknown> = Promise.resolve();
  /**
   * Alarm times told to isolates, which trust them to skip waking the clock for later work.
   * Each one stays a time a pass starts by, even when an earlier wake makes the alarm fire
   * first: otherwise an isolate's skipped wake could wait for the safety alarm.
   */
  private promised: number[] | null = null;
  private log: Log = consoleLog('info');
  private loadedConfig: Readonly<WorkerConfig> | null = null;

  constructor(
    private readonly state: DurableObjectState,
    private readonly env: WorkerEnv,
  ) {}

  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    try {
      if (path === '/wake') {
        const body = (await request.json()) as WakeBody;
        return Response.json({ alarm_at: await this.wake(body.at, body.origin ?? null) });
      }
      if (path === '/tick') {
        await this.runPass();
        return Response.json({ alarm_at: await this.state.storage.getAlarm() });
      }
      if (path === '/sync') {
        const { source_id: sourceId } = (await request.json()) as { source_id: string };
        const { sources } = await this.services();
        return Response.json(await sources.syncNow(sourceId));
      }
      return Response.json(
        { error: { code: 'not_found', message: `no clock route ${path}` } },
        { status: 404 },
      );
    } catch (err) {
      this.log.error({ err }, `clock ${path} failed`);
      return Response.json({ error: { code: 'internal', message: (err as Error).message } }, { status: 500 });
    }
  }

  async alarm(): Promise<void> {
    await this.runPass();
  }

  /** One pass after the one running, if any; calls made while it waits share it. */
  private runPass(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      this.queued = null;
      return this.pass();
    });
    this.queued = next;
    this.chain = next.catch(() => {});
    return next;
  }

  /** Never throws: an alarm handler that throws is retried by the runtime, out of our order. */
  private async pass(): Promise<void> {
    const started = Date.now();
    let times: (number | null)[] = [];
    let worked = true;
    try {
      const s = await this.services();
      // With alarms, work still due after a pass (a late check's down deadline, the rest of a
      // large batch) gets the next pass at once through the alarm. Without them the next pass
      // is a minute away, so this one goes on while it gets something done.
      const rounds = this.alarmsOn() ? 1 : CRON_ROUNDS;
      for (let round = 0; round < rounds; round++) {
        worked = await this.runDue(s, round === 0 ? started : Date.now());
        times = await this.dueTimes(s.store);
        const now = Date.now();
        if (!worked || !times.some((t) => t !== null && t <= now)) break;
      }
    } catch (err) {
      this.log.error({ err }, 'the clock could not run; trying again within a minute');
    }
    await this.arm(started, times, worked).catch((err: unknown) =>
      this.log.error({ err }, 'setting the clock alarm failed; the cron trigger runs the next pass'),
    );
  }

  /** Everything due at `now`, each kind on its own so one failing never stops the others. */
  private async runDue(s: ClockServices, now: number): Promise<boolean> {
    let work = 0;
    const step = async (what: string, fn: () => Promise<number>) => {
      try {
        work += await fn();
      } catch (err) {
        s.log.error({ err }, `${what} failed; the next pass tries again`);
      }
    };
    await step('recording the sweep', async () => {
      await s.scheduler.markAlive(now, OUTAGE_MS);
      return 0;
    });
    await step('the deadline sweep', () => s.scheduler.sweep(now));
    await step('held alerts and reminders', () => s.scheduler.runTimers(now));
    // Deliveries start at once, so alerts the sweep just queued do not wait for probes and syncs
    // (each may take up to its timeout); what those queue goes out in the pass right after.
    await Promise.all([
      step('delivering notifications', () => s.dispatcher.runOnce(Date.now())),
      step('probes', async () => (await s.prober.probeDue(Date.now())).length),
      step('source syncs', () => s.sources.syncDue(Date.now())),
      step('pruning', () => this.pruneHourly(s, now)),
    ]);
    return work > 0;
  }

  private async pruneHourly(s: ClockServices, now: number): Promise<number> {
    const last = (await this.state.storage.get<number>('pruned_at')) ?? 0;
    if (now - last < PRUNE_EVERY_MS) return 0;
    await this.state.storage.put('pruned_at', now);
    const deleted = await s.pruner.pruneOnce(now);
    if (deleted > 0) s.log.info({ deleted }, 'pruned old history');
    return 0;
  }

  /** When each kind of work is next due (null: none), as the Node loops sleep until. */
  private async dueTimes(store: Store): Promise<(number | null)[]> {
    const sources = await store.listSources();
    return Promise.all([
      store.earliestDeadline(),
      store.earliestReminder(),
      store.earliestRelease(),
      store.earliestNotificationDue(),
      store.earliestProbeDue(),
      sources.length === 0 ? null : Math.min(...sources.map((s) => s.nextSyncAt)),
    ]);
  }

  /** Sets the alarm after a pass that began at `started`. */
  private arm(started: number, times: (number | null)[], worked: boolean): Promise<void> {
    return this.withAlarmLock(async () => {
      if (!this.alarmsOn()) {
        await this.state.storage.deleteAlarm();
        return;
      }
      // a time told to an isolate is kept until a pass starts at or after it (see `promised`)
      const promised = (await this.promises()).filter((t) => t > started);
      const now = Date.now();
      let at = Math.min(now + SAFETY_MS, ...promised, ...times.filter((t): t is number => t !== null));
      // due now and the pass did nothing of it: someone else holds it, or it keeps failing
      if (at <= now && !worked) at = now + IDLE_RETRY_MS;
      await this.keepPromises(promised);
      await this.state.storage.setAlarm(Math.max(at, now));
    });
  }

  /**
   * Makes sure a pass starts at `at` or before (now, if `at` has passed) and returns when the
   * next pass starts; the caller may trust that time for all work due after it.
   */
  private wake(at: number, origin: string | null): Promise<number> {
    return this.withAlarmLock(async () => {
      if (origin !== null) await this.rememberOrigin(origin);
      const now = Date.now();
      // cron only: the next pass is the next minute's (Cloudflare fires it within seconds)
      if (!this.alarmsOn()) return Math.ceil((now + 1) / 60_000) * 60_000 + CRON_SLACK_MS;
      const wanted = Math.max(at, now);
      const current = await this.state.storage.getAlarm();
      // an alarm in the past is firing now (or about to): its pass may have read the database
      // before the caller's commit, so it is no promise for the caller's work
      const pending = current !== null && current >= now ? current : null;
      const alarmAt = pending !== null && pending <= wanted ? pending : wanted;
      if (alarmAt !== pending) await this.state.storage.setAlarm(alarmAt);
      const promised = await this.promises();
      if (!promised.includes(alarmAt)) await this.keepPromises([...promised, alarmAt]);
      return alarmAt;
    });
  }

  /** VIGIL_CLOCK_ALARMS: false leaves the clock to the cron trigger alone */
  private alarmsOn(): boolean {
    try {
      return this.config().clockAlarms;
    } catch {
      return true; // a bad setting is reported by every request; the clock keeps its alarm
    }
  }

  private withAlarmLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.alarmLock.then(fn);
    this.alarmLock = run.catch(() => {});
    return run;
  }

  private async promises(): Promise<number[]> {
    this.promised ??= (await this.state.storage.get<number[]>('promised')) ?? [];
    return this.promised;
  }

  private async keepPromises(times: number[]): Promise<void> {
    const kept = [...times].sort((a, b) => a - b).slice(0, MAX_PROMISES);
    this.promised = kept;
    await this.state.storage.put('promised', kept);
  }

  private async rememberOrigin(origin: string): Promise<void> {
    if ((await this.state.storage.get<string>('origin')) !== origin)
      await this.state.storage.put('origin', origin);
  }

  /** The services for the current configuration, made once (again when the base URL changes). */
  /** The settings, read once: a Durable Object's env stays as it is until a deploy restarts it. */
  private config(): Readonly<WorkerConfig> {
    this.loadedConfig ??= loadWorkerConfig(this.env);
    return this.loadedConfig;
  }

  private async services(): Promise<ClockServices> {
    const config = this.config();
    const baseUrl = config.baseUrl ?? (await this.state.storage.get<string>('origin')) ?? UNKNOWN_BASE_URL;
    if (this.made?.baseUrl === baseUrl) return this.made.services;
    const log = consoleLog(config.logLevel);
    this.log = log;
    if (this.store === null) {
      const opening = openWorkerStore(this.env.DB, config, log).then(async (store) => {
        // Whatever this clock held when it last stopped (there is only ever one): free it now
        // rather than when the leases and claims run out.
        await store.releaseLeases(CLOCK_NODE_ID);
        return store;
      });
      this.store = opening;
      opening.catch(() => {
        if (this.store === opening) this.store = null;
      });
    }
    const services = clockServices(await this.store, config, baseUrl, log);
    if (baseUrl === UNKNOWN_BASE_URL)
      log.warn(
        {},
        `VIGIL_BASE_URL is not set and no request has been seen yet: links in alerts say ${baseUrl}`,
      );
    this.made = { baseUrl, services };
    return services;
  }
}
