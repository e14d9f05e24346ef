// A real vigil in-process for tests: a temp SQLite file, the real app, ingestor, scheduler
// and dispatcher, driven by a ManualClock. Nothing of ours is mocked.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { EventBus } from '../../src/events/bus.ts';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/http/deps.ts';
import { createRateLimits, type RateLimitSettings } from '../../src/http/rate-limit.ts';
import type { Committed } from '../../src/ingest/commit-transition.ts';
import { Ingestor } from '../../src/ingest/ingest.ts';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { createApiKey, createProject } from '../../src/projects/keys.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { DeadlineScheduler } from '../../src/scheduler/detect-missed.ts';
import { Dispatcher } from '../../src/scheduler/dispatch.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Project, Store } from '../../src/store/store.ts';
import { TEST_SECRETS } from './secrets.ts';

/**
 * D1 only for the runs on D1 (VIGIL_TEST_STORE=d1): loading Miniflare costs a spec file about
 * half a second, which the runs on SQLite need not pay. Loaded while the file is collected, as
 * a static import would be, so d1.ts still registers its afterAll with the file.
 */
const d1 =
  process.env.VIGIL_TEST_STORE === 'd1'
    ? { ...(await import('./d1.ts')), ...(await import('../../src/store/d1/d1-store.ts')) }
    : null;

/**
 * A migrated SQLite file that each harness's database starts as a copy of: a copy opens in
 * about 7 ms where migrating a new file took 22 ms, and most specs make a harness per test.
 * Made by the test file's first harness and removed after the file, so it always has the
 * migrations of the code under test.
 */
let template: { dir: string; file: Promise<string> } | undefined;
async function migratedCopy(path: string): Promise<string> {
  if (!template) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-test-template-'));
    const file = join(dir, 'vigil.db');
    template = {
      dir,
      file: openSqliteStore(file, { secrets: TEST_SECRETS })
        .then((s) => s.close())
        .then(() => file),
    };
  }
  copyFileSync(await template.file, path);
  return path;
}

afterAll(() => {
  if (template) rmSync(template.dir, { recursive: true, force: true });
  template = undefined;
});

export const BASE_URL = 'http://vigil.test';
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

const NO_LIMITS: RateLimitSettings = {
  ping: null,
  pingAddress: null,
  api: null,
  apiAddress: null,
  login: null,
};

export interface Harness {
  app: ReturnType<typeof createApp>;
  /** what `app` was made from, for building parts of it again (e.g. to list their routes) */
  deps: AppDeps;
  store: Store;
  clock: ManualClock;
  ingestor: Ingestor;
  scheduler: DeadlineScheduler;
  dispatcher: Dispatcher;
  project: Project;
  /** read-write key of `project` */
  key: string;
  readOnlyKey: string;
  other: { project: Project; key: string };
  committed: Committed[];
  bus: EventBus;
  /** JSON request helper: `api('POST', '/checks', body)` against /api/v1 with the rw key */
  api(method: string, path: string, body?: unknown, key?: string | null): Promise<Response>;
  close(): Promise<void>;
}

export async function createHarness(
  options: {
    pingBodyLimit?: number;
    retention?: number;
    trustProxy?: boolean;
    /** the limits to apply; by default only sign-in's per-address limit (its default) is on */
    rateLimits?: Partial<RateLimitSettings>;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  // VIGIL_TEST_STORE=d1 runs the same specs on D1 in workerd (Miniflare), the Workers store
  const store = d1
    ? await d1.openD1Store(await d1.freshD1(), { secrets: TEST_SECRETS })
    : await openSqliteStore(await migratedCopy(join(dir, 'vigil.db')), { secrets: TEST_SECRETS });
  const clock = new ManualClock(T0);
  const logger = pino({ level: 'silent' });
  const http = createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 });
  const committed: Committed[] = [];
  const dispatcher = new Dispatcher(store, { clock, http, logger, random: () => 0.5 });
  const scheduler = new DeadlineScheduler(store, { clock, baseUrl: BASE_URL, logger, onCommitted });
  const bus = new EventBus();
  function onCommitted(c: Committed) {
    committed.push(c);
    scheduler.nudge(c.check.nextDeadline);
    if (c.queued > 0) dispatcher.nudge();
    bus.publishCommitted(c);
  }
  const ingestor = new Ingestor(store, {
    baseUrl: BASE_URL,
    retention: options.retention ?? 1000,
    newId: randomUUID,
    onCommitted,
  });
  const deps: AppDeps = {
    store,
    ingestor,
    http,
    config: {
      baseUrl: BASE_URL,
      pingBodyLimit: options.pingBodyLimit ?? 100 * 1024,
      trustProxy: options.trustProxy ?? false,
    },
    now: () => clock.now(),
    newId: randomUUID,
    clientAddress: () => '127.0.0.1',
    rateLimits: createRateLimits({
      ...NO_LIMITS,
      login: { perSecond: 0.2, burst: 20 },
      ...options.rateLimits,
    }),
    onCommitted,
    health: async () => ({ ok: true }),
    log: () => {},
    bus,
  };
  const app = createApp(deps);

  const setup = systemActor('test setup');
  const made = await store.transaction(async (tx) => {
    const project = await createProject(tx, 'main', T0, setup);
    const rw = await createApiKey(tx, project.id, { now: T0 }, setup);
    const ro = await createApiKey(tx, project.id, { readOnly: true, now: T0 }, setup);
    const otherProject = await createProject(tx, 'other', T0, setup);
    const otherKey = await createApiKey(tx, otherProject.id, { now: T0 }, setup);
    return { project, key: rw.key, readOnlyKey: ro.key, other: { project: otherProject, key: otherKey.key } };
  });

  return {
    app,
    deps,
    store,
    clock,
    ingestor,
    scheduler,
    dispatcher,
    committed,
    bus,
    ...made,
    api: (method, path, body, key) =>
      Promise.resolve(
        app.request(`/api/v1${path}`, {
          method,
          headers: {
            ...(key === null ? {} : { 'X-Api-Key': key ?? made.key }),
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    close: async () => {
      await scheduler.stop();
      await dispatcher.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
