// A vigil (the test harness) with one pg_cron source, its runner and a deadline sweep that
// defers to it, for the sources specs; and a loopback TCP proxy that can cut a source off.
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { systemActor } from '../../src/audit/actor.ts';
import type { Committed } from '../../src/ingest/commit-transition.ts';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { DeadlineScheduler } from '../../src/scheduler/detect-missed.ts';
import type { SyncReport } from '../../src/sources/adapter.ts';
import { SourceRunner, type SourceRunnerOptions } from '../../src/sources/runner.ts';
import { createSource, type SourceInput } from '../../src/sources/source-changes.ts';
import type { Check, FlipRow, Ping, Source } from '../../src/store/store.ts';
import { BASE_URL, createHarness, type Harness } from '../helpers/harness.ts';
import { createWebhook } from '../scheduler/fixtures.ts';

const silent = pino({ level: 'silent' });

export interface SourceRig {
  h: Harness;
  runner: SourceRunner;
  /** a deadline sweep that asks the runner before calling a job late */
  scheduler: DeadlineScheduler;
  source: Source;
  /** every commit the runner announced */
  announced: Committed[];
  /** the next commit the runner announces that `accept` takes */
  announcement(accept: (c: Committed) => boolean): Promise<Committed>;
  sync(): Promise<SyncReport>;
  sweep(): Promise<number>;
  /** the check of job `name` (slug `<source>/<name>`) */
  job(name: string): Promise<Check>;
  health(): Promise<Check>;
  pings(checkId: string): Promise<Ping[]>;
  /** "from->to" of each flip, oldest first */
  flips(checkId: string): Promise<string[]>;
  flipRows(checkId: string): Promise<FlipRow[]>;
  /** alerts queued for the check (outbox rows) */
  alerts(checkId: string): Promise<number>;
  reload(): Promise<Source>;
  close(): Promise<void>;
}

export async function sourceRig(
  config: Record<string, unknown>,
  opts: Partial<Omit<SourceInput, 'projectId' | 'kind' | 'config'>> & {
    runner?: Partial<SourceRunnerOptions>;
    at?: number;
  } = {},
): Promise<SourceRig> {
  const h = await createHarness();
  if (opts.at !== undefined) h.clock.set(opts.at);
  await createWebhook(h, 'https://hooks.example.com/vigil', {
    events: ['down', 'failed', 'too_long', 'late', 'up'],
  });
  const source = await h.store.transaction((tx) =>
    createSource(
      tx,
      {
        projectId: h.project.id,
        kind: 'pg_cron',
        config,
        name: opts.name ?? 'db1',
        severity: opts.severity ?? 'critical',
        tags: opts.tags ?? ['db'],
        syncInterval: opts.syncInterval ?? 60,
        grace: opts.grace ?? 120,
      },
      { now: h.clock.now(), newId: randomUUID },
      systemActor('test'),
    ),
  );
  const announced: Committed[] = [];
  const waiting: { accept: (c: Committed) => boolean; resolve: (c: Committed) => void }[] = [];
  const announce = (c: Committed) => {
    announced.push(c);
    for (const w of waiting.splice(0)) {
      if (w.accept(c)) w.resolve(c);
      else waiting.push(w);
    }
  };
  const runner = new SourceRunner(h.store, {
    clock: h.clock,
    logger: silent,
    ingestor: h.ingestor,
    http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }),
    allowPrivateTargets: true,
    baseUrl: BASE_URL,
    newId: randomUUID,
    onCommitted: announce,
    ...opts.runner,
  });
  const scheduler = new DeadlineScheduler(h.store, {
    clock: h.clock,
    baseUrl: BASE_URL,
    logger: silent,
    deferDeadline: runner.deferDeadline,
  });
  const bySlug = async (slug: string) => {
    const check = await h.store.getCheckBySlug(h.project.id, slug);
    if (!check) throw new Error(`no check ${slug}`);
    return check;
  };
  const flipRows = async (checkId: string) => (await h.store.listFlips(checkId, { limit: 100 })).reverse();
  return {
    h,
    runner,
    scheduler,
    source,
    announced,
    announcement: (accept) => new Promise((resolve) => waiting.push({ accept, resolve })),
    sync: () => runner.syncNow(source.id),
    sweep: () => scheduler.sweep(h.clock.now()),
    job: (name) => bySlug(`${source.name}/${name}`),
    health: () => bySlug(source.name),
    pings: async (checkId) => (await h.store.listPings(checkId, { limit: 1000 })).reverse(),
    flipRows,
    flips: async (checkId) => (await flipRows(checkId)).map((f) => `${f.from}->${f.to}`),
    alerts: async (checkId) => (await h.store.listNotifications(checkId, 100)).length,
    reload: async () => (await h.store.getSource(source.id))!,
    close: async () => {
      await runner.stop();
      await scheduler.stop();
      await h.close();
    },
  };
}

/** A loopback TCP proxy to a port: cut() makes it refuse connections, restore() opens it again. */
export class CutProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
