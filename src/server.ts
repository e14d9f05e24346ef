// The Node home: wires config, store, ingest, scheduler, dispatcher and the HTTP app
// together, and takes them apart again in order on shutdown.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Logger } from 'pino';
import { createFirstAdmin } from './auth/admin.ts';
import { ALL_CAPABILITIES } from './capabilities.ts';
import { type Config, ConfigError, redactDatabaseUrl } from './config.ts';
import { EventBus } from './events/bus.ts';
import { createApp } from './http/app.ts';
import { createRateLimits } from './http/rate-limit.ts';
import type { Committed } from './ingest/commit-transition.ts';
import { Ingestor } from './ingest/ingest.ts';
import { fastPingListener } from './node/fast-ping.ts';
import { lingerAfterEarlyAnswers } from './node/linger.ts';
import { createLogger } from './node/logger.ts';
import { Observability } from './node/observability.ts';
import { closeMailTransports } from './notifiers/email.ts';
import { createHttpClient } from './notifiers/http.ts';
import { Prober } from './probes/prober.ts';
import { bootstrap } from './projects/keys.ts';
import { type Clock, systemClock } from './scheduler/clock.ts';
import { DeadlineScheduler } from './scheduler/detect-missed.ts';
import { Dispatcher } from './scheduler/dispatch.ts';
import { OperatorAlerts } from './scheduler/operator-alerts.ts';
import { Pruner } from './scheduler/prune.ts';
import { nodeSecretBox } from './secrets/key-file.ts';
import { deferUntilSynced } from './sources/defer-deadline.ts';
import { SourceRunner } from './sources/runner.ts';
import { openCluster, openStore } from './store/open-store.ts';
import { StorageHealth, watchStore } from './store/storage-health.ts';
import type { Store } from './store/store.ts';

export interface Server {
  url: string;
  /** /metrics on VIGIL_METRICS_PORT; null when it has no port of its own */
  metricsUrl: string | null;
  store: Store;
  scheduler: DeadlineScheduler;
  dispatcher: Dispatcher;
  logger: Logger;
  /** finishes in-flight requests and deliveries, then closes the database */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** prints the first-start credentials (the CLI prints them to stdout) */
  onBootstrap?: (info: { projectId: string; key: string; pingKey: string; pingUrlExample: string }) => void;
}

export async function startServer(config: Readonly<Config>, opts: StartOptions = {}): Promise<Server> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  // channel and source secrets are sealed at rest with this key (docs/security.md)
  const secrets = nodeSecretBox(config, (message) => logger.warn(message));
  const rawStore = await openStore(config, { exclusive: true, secrets });
  // Every call watched: the first write the database refuses (disk full, read-only) starts the
  // storage condition, which pauses the sweep and the outbox and tells the operator.
  const storage = new StorageHealth(rawStore, { clock, logger });
  const store = watchStore(rawStore, (err) => storage.report(err));
  const storageDown = () => storage.condition !== null;
  // the other nodes on the same database (none on SQLite): wake-ups and live events
  const cluster = await openCluster(config, (err, what) => logger.warn({ err }, `cluster: ${what}`));

  const http = createHttpClient({
    timeoutMs: config.deliveryTimeoutMs,
    allowPrivateAddresses: config.allowPrivateTargets,
  });
  const dispatcher = new Dispatcher(store, {
    clock,
    http,
    logger,
    smtp: config.smtp,
    nodeId: config.nodeId,
    storageDown,
    // Longer than any one delivery (an email may take three timeouts) plus recording it; when
    // a node dies, another takes its deliveries over once this ends, so no longer than that.
    leaseMs: config.deliveryTimeoutMs * 3 + 5000,
  });
  const scheduler = new DeadlineScheduler(store, {
    clock,
    baseUrl: config.baseUrl,
    logger,
    nodeId: config.nodeId,
    onCommitted,
    onQueued: queued,
    deferDeadline: deferUntilSynced,
    storageDown,
  });
  // The outbox is in the database that refuses writes: these go to the channels from memory.
  const operator = new OperatorAlerts(store, {
    clock,
    logger,
    http,
    baseUrl: config.baseUrl,
    project: config.operatorProject,
    smtp: config.smtp,
  });
  storage.on('down', (c) => operator.storageDown(c));
  storage.on('up', (c, until) => {
    operator.storageUp(c, until);
    // what waited for the database goes on now: the sweep (after a fresh grace) and the outbox
    scheduler.nudge(until);
    dispatcher.nudge();
  });
  const observability = new Observability(config.metrics, logger, {
    accessLog: config.accessLog,
    sources: {
      counts: () => store.statusCounts(),
      sweep: () => ({
        lastAt: scheduler.lastSweep?.at ?? null,
        maxRecentLagMs: scheduler.maxRecentLagMs(clock.now()),
      }),
      refusingWrites: storageDown,
    },
  });
  observability.watch(scheduler, dispatcher);
  const pingMetrics = observability.metrics;
  const bus = new EventBus();
  bus.forwardTo((event) => cluster.send({ kind: 'event', event }));
  cluster.listen((m) => {
    if (m.kind === 'deadline') scheduler.nudge(m.at);
    else if (m.kind === 'queued') dispatcher.nudge();
    else bus.receive(m.event);
  });
  function queued(): void {
    dispatcher.nudge();
    cluster.send({ kind: 'queued' });
  }
  // aborted first on close: open event streams would otherwise keep server.close() waiting
  const shutdown = new AbortController();
  function onCommitted(c: Committed): void {
    const deadline = c.check.nextDeadline;
    scheduler.nudge(deadline);
    // Other nodes look at least once a second anyway: only a deadline before then is news.
    if (deadline !== null && deadline < clock.now() + 1000) cluster.send({ kind: 'deadline', at: deadline });
    if (c.queued > 0) queued();
    if (c.flip) observability.metrics?.countFlip(c.flip.to);
    bus.publishCommitted(c);
  }
  const ingestor = new Ingestor(store, {
    baseUrl: config.baseUrl,
    retention: config.pingRetention,
    newId: randomUUID,
    onCommitted,
    ...(pingMetrics ? { onOutcome: (kind, result) => pingMetrics.countPing(kind, result) } : {}),
  });
  const sources = new SourceRunner(store, {
    clock,
    logger,
    ingestor,
    // an inventory (a Supabase project's functions) is longer than any provider's answer to an
    // alert: 4 MiB instead of 64 KiB holds thousands of functions
    http: createHttpClient({
      timeoutMs: config.deliveryTimeoutMs,
      allowPrivateAddresses: config.allowPrivateTargets,
      maxResponseBytes: 4 * 1024 * 1024,
    }),
    allowPrivateTargets: config.allowPrivateTargets,
    baseUrl: config.baseUrl,
    newId: randomUUID,
    onCommitted,
    bodyLimit: config.pingBodyLimit,
  });

  // one set of buckets for the fast ping path and the app
  const rateLimits = createRateLimits(config.rateLimits);
  const app = createApp({
    store,
    ingestor,
    rateLimits,
    http,
    config,
    now: () => clock.now(),
    newId: randomUUID,
    clientAddress: (c) => getConnInfo(c).remote.address ?? null,
    onCommitted,
    bus,
    syncSource: sources.syncNow,
    shutdown: shutdown.signal,
    capabilities: ALL_CAPABILITIES,
    log: (err, msg, fields) => logger.error({ ...fields, err }, msg),
    requestLog: observability.requestLog,
    metrics: observability.endpoint,
    storage: () => storage.condition,
    health: async () => {
      const db = await store.ping().then(
        () => 'ok',
        (err: Error) => `error: ${err.message}`,
      );
      const last = scheduler.lastSweep;
      const sinceSweep = last ? clock.now() - last.at : null;
      // A sweep runs at least every second; three missed ones mean the loop is stuck.
      const schedulerOk = sinceSweep !== null && sinceSweep < 3000;
      const refusing = storage.condition;
      return {
        ok: db === 'ok' && schedulerOk && refusing === null,
        database: db,
        // the database refuses writes: pings get 503 until it takes them again
        storage: refusing
          ? {
              ok: false,
              problem: refusing.problem.kind,
              message: refusing.problem.what,
              todo: refusing.problem.todo,
              since: new Date(refusing.since).toISOString(),
              error: refusing.error,
            }
          : { ok: true },
        engine: store.engine,
        node: config.nodeId,
        // hints between nodes; while reconnecting, nodes only wake a little later
        cluster: cluster.connected ? 'ok' : 'reconnecting',
        scheduler: {
          ok: schedulerOk,
          last_sweep_at: last ? new Date(last.at).toISOString() : null,
          last_sweep_claimed: last?.due ?? null,
          max_lag_ms_last_minute: scheduler.maxRecentLagMs(clock.now()),
          since_last_sweep_ms: sinceSweep,
        },
      };
    },
  });

  // The dispatcher first: its start frees whatever this node id held before (leases and
  // sweep claims), which must not include claims the running sweep has just taken.
  // first, so a database that refuses the starts' writes is known and probed from the outset
  storage.start();
  try {
    await dispatcher.start();
    await scheduler.start();
  } catch (err) {
    // the loops already running would keep a process that cannot serve alive
    await observability.close();
    await storage.stop();
    await dispatcher.stop();
    await cluster.close();
    await store.close();
    throw err;
  }
  const pruner = new Pruner(store, { clock, logger, auditRetentionDays: config.auditRetentionDays });
  pruner.start();
  const prober = new Prober(store, {
    clock,
    ingestor,
    logger,
    allowPrivateAddresses: config.allowPrivateTargets,
  });
  prober.start();
  sources.start();

  // Its own cleanup reads an unread body for 500 ms only, and not at all once a web stream has
  // paused it; lingerAfterEarlyAnswers reads it in every case (src/node/linger.ts).
  const honoListener = lingerAfterEarlyAnswers(getRequestListener(app.fetch, { autoCleanupIncoming: false }));
  const fastPing = fastPingListener({
    ingestor,
    now: () => clock.now(),
    pingBodyLimit: config.pingBodyLimit,
    trustProxy: config.trustProxy,
    rateLimits,
    holdRefused: () => sleep(1000),
    onError: (err, requestId) => logger.error({ err, req_id: requestId }, 'ping failed'),
  });
  const ping = observability.observePing(fastPing);
  // Slow or idle clients must not hold sockets: the headers must come within headersTimeout and
  // the whole request within requestTimeout, or Node answers 408 and closes. Node looks for such
  // sockets every connectionsCheckingInterval, 30 s by default, which would stretch a 10 s
  // timeout to 40 s; that one can only be given to createServer.
  const serverOptions = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
  };
  const server = createServer(serverOptions, (req, res) => {
    if (req.url?.startsWith('/ping/')) void ping(req, res);
    else honoListener(req, res);
  });
  let metricsUrl: string | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    metricsUrl = await observability.listen();
  } catch (err) {
    server.close();
    await observability.close();
    // e.g. the port is in use: stop the loops started above, or their timers keep the process alive
    await sources.stop();
    await prober.stop();
    await pruner.stop();
    await scheduler.stop();
    await dispatcher.stop();
    await storage.stop();
    await cluster.close();
    await store.close();
    if (err instanceof ConfigError) throw err; // the metrics port's, which names its variables
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is in use' : (err as Error).message;
    throw new ConfigError(`cannot listen on ${config.host}:${config.port} (VIGIL_HOST, VIGIL_PORT): ${why}`);
  }

  // Only once listening works, so a failed start never swallows the one-time key.
  const first = await bootstrap(store, clock.now());
  if (first) {
    opts.onBootstrap?.({
      projectId: first.project.id,
      key: first.key,
      pingKey: first.project.pingKey,
      pingUrlExample: `${config.baseUrl}/ping/${first.project.pingKey}/my-job?create=1`,
    });
  }
  const admin = config.admin && (await createFirstAdmin(store, config.admin, clock.now()));
  if (admin) logger.info({ email: admin.email }, `created admin user ${admin.email}`);
  // a VIGIL_OPERATOR_PROJECT that names no project is said now, not first when vigil is in trouble
  if (config.operatorProject !== null) await operator.operatorProject();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  logger.info(
    { url, database: redactDatabaseUrl(config.databaseUrl), node: config.nodeId, metrics: metricsUrl },
    'vigil is listening',
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    metricsUrl,
    store,
    scheduler,
    dispatcher,
    logger,
    close: () => {
      closing ??= (async () => {
        shutdown.abort();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await observability.close();
        // before the ingestor drains, so no probe result is submitted after it
        await sources.stop();
        await prober.stop();
        await ingestor.drain();
        await pruner.stop();
        await scheduler.stop();
        await dispatcher.stop();
        await storage.stop();
        await operator.stop();
        closeMailTransports();
        await cluster.close();
        await store.close();
        logger.info('vigil stopped');
      })();
      return closing;
    },
  };
}
