// One isolate's vigil: the D1 store, the same Hono app as on Node (one per base URL), its live
// events, and the client of the clock. Made on the first request the isolate serves.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { EventBus } from '../../events/bus.ts';
import { createApp } from '../../http/app.ts';
import type { AppDeps } from '../../http/deps.ts';
import { createRateLimits, type RateLimits } from '../../http/rate-limit.ts';
import type { Committed } from '../../ingest/commit-transition.ts';
import { Ingestor } from '../../ingest/ingest.ts';
import type { Log } from '../../log.ts';
import { createHttpClient, type HttpClient } from '../../notifiers/http.ts';
import { nextProbeFor } from '../../probes/slots.ts';
import { ALIVE_KEY } from '../../scheduler/detect-missed.ts';
import type { Store } from '../../store/store.ts';
import { bootstrapWorker } from './bootstrap.ts';
import { ClockClient } from './clock-client.ts';
import { literalAddressesOnly } from './resolve-host.ts';
import type { WorkerConfig } from './worker-config.ts';
import { type ExecutionContext, WORKERS_CAPABILITIES, type WorkerEnv } from './worker-env.ts';
import { openWorkerStore } from './worker-store.ts';

/** Passes run at least every minute (the Cron Trigger); longer without one means the clock is stuck. */
const CLOCK_STALE_MS = 150_000;
/** Where a successful change makes work due at once: maintenance windows and sources, through
 * the API, the dashboard or the pulse API's maintenance mode. */
const WORK_NOW = /^\/(api\/v1\/|api\/)?(maintenance|sources)(\/|$)/;
/** Base URLs an isolate keeps an app for (VIGIL_BASE_URL unset, several hostnames). */
const MAX_APPS = 4;

/** What a commit needs from the request it happens in: its context (for waitUntil) and origin. */
interface RequestScope {
  ctx: ExecutionContext;
  origin: string;
}

export class WorkerApp {
  private readonly scope = new AsyncLocalStorage<RequestScope>();
  private readonly apps = new Map<string, Hono>();
  private readonly bus = new EventBus();
  private readonly http: HttpClient;
  /** this isolate's buckets: Cloudflare spreads clients over isolates, each counting its own */
  private readonly rateLimits: RateLimits;
  readonly clock: ClockClient;

  private constructor(
    private readonly env: WorkerEnv,
    private readonly config: Readonly<WorkerConfig>,
    private readonly store: Store,
    private readonly log: Log,
  ) {
    this.clock = new ClockClient(env.CLOCK, log);
    this.rateLimits = createRateLimits(config.rateLimits);
    this.http = createHttpClient({
      timeoutMs: config.deliveryTimeoutMs,
      allowPrivateAddresses: config.allowPrivateTargets,
      resolveHost: literalAddressesOnly,
    });
  }

  /** Opens the database and, on an empty one, makes the first project and user. */
  static async open(env: WorkerEnv, config: Readonly<WorkerConfig>, log: Log): Promise<WorkerApp> {
    const store = await openWorkerStore(env.DB, config, log);
    await bootstrapWorker(store, config, Date.now(), log);
    return new WorkerApp(env, config, store, log);
  }

  async handle(request: Request, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const origin = url.origin;
    const app = this.appFor(this.config.baseUrl ?? origin);
    const res = await this.scope.run({ ctx, origin }, async () => app.fetch(request, this.env, ctx));
    // A maintenance window changed (held alerts may be due now) or a source added or changed (its
    // first sync is due now): work no check commit announces, so the clock is told here.
    if (
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      res.status < 400 &&
      WORK_NOW.test(url.pathname)
    )
      this.wakeClock(Date.now(), ctx, origin);
    return res;
  }

  /** Tells the clock about work due at `at`, in the background of the current request. */
  wakeClock(at: number, ctx: ExecutionContext, origin: string): void {
    const woken = this.clock.wake(at, Date.now(), this.config.baseUrl === null ? origin : null);
    if (woken) ctx.waitUntil(woken);
  }

  private appFor(baseUrl: string): Hono {
    let app = this.apps.get(baseUrl);
    if (app === undefined) {
      if (this.apps.size >= MAX_APPS) this.apps.clear();
      app = createApp(this.deps(baseUrl));
      this.apps.set(baseUrl, app);
    }
    return app;
  }

  private deps(baseUrl: string): AppDeps {
    const { config, store } = this;
    const onCommitted = (c: Committed) => this.committed(c);
    return {
      store,
      // one ping, one transaction, in the request that sent it (see IngestOptions.groupCommit)
      ingestor: new Ingestor(store, {
        baseUrl,
        retention: config.pingRetention,
        newId: randomUUID,
        onCommitted,
        groupCommit: false,
      }),
      http: this.http,
      config: {
        baseUrl,
        pingBodyLimit: config.pingBodyLimit,
        trustProxy: config.trustProxy,
        smtp: null,
        daemonStaleAfter: config.daemonStaleAfter,
      },
      now: () => Date.now(),
      newId: randomUUID,
      // Cloudflare's edge sets it to the client's address; a client cannot forge it
      clientAddress: (c) => c.req.header('cf-connecting-ip') ?? null,
      rateLimits: this.rateLimits,
      onCommitted,
      health: () => this.health(),
      log: (err, msg, fields) => this.log.error({ ...fields, err }, msg),
      bus: this.bus,
      syncSource: (sourceId) => this.clock.syncSource(sourceId),
      capabilities: WORKERS_CAPABILITIES,
    };
  }

  /** Live events for this isolate's event streams, and a wake for the clock when needed. */
  private committed(c: Committed): void {
    this.bus.publishCommitted(c);
    const now = Date.now();
    const times = [c.check.nextDeadline, c.check.remindAt];
    if (c.queued > 0) times.push(now);
    // an http check made or changed through the API: its first probe is due at its slot
    if (c.ping === undefined) times.push(nextProbeFor(c.check, now));
    const due = times.filter((t): t is number => t !== null);
    const scope = this.scope.getStore();
    if (due.length > 0 && scope) this.wakeClock(Math.min(...due), scope.ctx, scope.origin);
  }

  private async health(): Promise<Record<string, unknown>> {
    const now = Date.now();
    const database = await this.store.ping().then(
      () => 'ok',
      (err: Error) => `error: ${err.message}`,
    );
    const alive = Number((await this.store.getMeta(ALIVE_KEY).catch(() => null)) ?? Number.NaN);
    const since = Number.isFinite(alive) ? now - alive : null;
    const clockOk = since !== null && since < CLOCK_STALE_MS;
    return {
      ok: database === 'ok' && clockOk,
      database,
      engine: this.store.engine,
      runtime: 'workers',
      scheduler: {
        ok: clockOk,
        last_sweep_at: since === null ? null : new Date(alive).toISOString(),
        since_last_sweep_ms: since,
      },
    };
  }
}
