// The Node home: wires config, store, ingest, scheduler, dispatcher and the HTTP app
// together, and takes them apart again in order on shutdown.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import pino, { type Logger } from 'pino';
import { createFirstAdmin } from './auth/admin.ts';
import { type Config, ConfigError, redactDatabaseUrl } from './config.ts';
import { EventBus } from './events/bus.ts';
import { createApp } from './http/app.ts';
import type { Committed } from './ingest/commit-transition.ts';
import { Ingestor } from './ingest/ingest.ts';
import { fastPingListener } from './node/fast-ping.ts';
import { closeMailTransports } from './notifiers/email.ts';
import { createHttpClient } from './notifiers/http.ts';
import { bootstrap } from './projects/keys.ts';
import { type Clock, systemClock } from './scheduler/clock.ts';
import { DeadlineScheduler } from './scheduler/detect-missed.ts';
import { Dispatcher } from './scheduler/dispatch.ts';
import { Pruner } from './scheduler/prune.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

export interface Server {
  url: string;
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
  const logger = opts.logger ?? pino({ level: config.logLevel, base: { service: 'vigil' } });
  const store = await openStore(config, { exclusive: true });

  const http = createHttpClient({
    timeoutMs: config.deliveryTimeoutMs,
    allowPrivateAddresses: config.allowPrivateTargets,
  });
  const dispatcher = new Dispatcher(store, { clock, http, logger, smtp: config.smtp });
  const scheduler = new DeadlineScheduler(store, {
    clock,
    baseUrl: config.baseUrl,
    logger,
    onCommitted,
    onQueued: () => dispatcher.nudge(),
  });
  const bus = new EventBus();
  // aborted first on close: open event streams would otherwise keep server.close() waiting
  const shutdown = new AbortController();
  function onCommitted(c: Committed): void {
    scheduler.nudge(c.check.nextDeadline);
    if (c.queued > 0) dispatcher.nudge();
    bus.publishCommitted(c);
  }
  const ingestor = new Ingestor(store, {
    baseUrl: config.baseUrl,
    retention: config.pingRetention,
    newId: randomUUID,
    onCommitted,
  });

  const app = createApp({
    store,
    ingestor,
    http,
    config,
    now: () => clock.now(),
    newId: randomUUID,
    clientAddress: (c) => getConnInfo(c).remote.address ?? null,
    onCommitted,
    bus,
    shutdown: shutdown.signal,
    log: (err, msg) => logger.error({ err }, msg),
    health: async () => {
      const db = await store.ping().then(
        () => 'ok',
        (err: Error) => `error: ${err.message}`,
      );
      const last = scheduler.lastSweep;
      const sinceSweep = last ? clock.now() - last.at : null;
      // A sweep runs at least every second; three missed ones mean the loop is stuck.
      const schedulerOk = sinceSweep !== null && sinceSweep < 3000;
      return {
        ok: db === 'ok' && schedulerOk,
        database: db,
        engine: store.engine,
        scheduler: {
          ok: schedulerOk,
          last_sweep_at: last ? new Date(last.at).toISOString() : null,
          max_lag_ms_last_minute: scheduler.maxRecentLagMs(clock.now()),
          since_last_sweep_ms: sinceSweep,
        },
      };
    },
  });

  await scheduler.start();
  await dispatcher.start();
  const pruner = new Pruner(store, { clock, logger });
  pruner.start();

  const honoListener = getRequestListener(app.fetch);
  const fastPing = fastPingListener({
    ingestor,
    now: () => clock.now(),
    pingBodyLimit: config.pingBodyLimit,
    trustProxy: config.trustProxy,
    onError: (err) => logger.error({ err }, 'ping failed'),
  });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/ping/')) void fastPing(req, res);
    else void honoListener(req, res);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // e.g. the port is in use: stop the loops started above, or their timers keep the process alive
    await pruner.stop();
    await scheduler.stop();
    await dispatcher.stop();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is in use' : (err as Error).message;
    throw new ConfigError(`cannot listen on ${config.host}:${config.port} (VIGIL_HOST, VIGIL_PORT): ${why}`);
  }
  // Slow or idle clients must not hold sockets forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

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
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  logger.info({ url, database: redactDatabaseUrl(config.databaseUrl) }, 'vigil is listening');

  let closing: Promise<void> | null = null;
  return {
    url,
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
        await ingestor.drain();
        await pruner.stop();
        await scheduler.stop();
        await dispatcher.stop();
        closeMailTransports();
        await store.close();
        logger.info('vigil stopped');
      })();
      return closing;
    },
  };
}
