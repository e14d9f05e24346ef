// Plain rows for the storage specs, and the list of engines the Store contract runs on.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCheckConfig, newCheck } from '../../src/ingest/new-check.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { ApiKey, Channel, Check, NewNotification, Ping, Project, Store } from '../../src/store/store.ts';

/** 2026-01-05T12:00:00Z */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 86_400_000;

export interface OpenedStore {
  store: Store;
  /** closes the store and removes what it left behind */
  dispose(): Promise<void>;
}

export interface StoreFactory {
  engine: string;
  open(): Promise<OpenedStore>;
}

/** Every engine the Store contract runs on. PostgreSQL joins this list when it exists. */
export const storeFactories: StoreFactory[] = [
  {
    engine: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
      const store = await openSqliteStore(join(dir, 'vigil.db'));
      return {
        store,
        async dispose() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

export function makeProject(overrides: Partial<Project> = {}): Project {
  const id = randomUUID();
  return {
    id,
    name: `project-${id.slice(0, 8)}`,
    pingKey: `pk-${id}`,
    silencePeriod: 3600,
    badgeKey: `bk-${id}`,
    createdAt: T0,
    ...overrides,
  };
}

export function makeApiKey(projectId: string, overrides: Partial<ApiKey> = {}): ApiKey {
  const id = randomUUID();
  return {
    id,
    projectId,
    name: 'key',
    prefix: `vgl_${id.slice(0, 8)}`,
    hash: `hash-${id}`,
    readOnly: false,
    createdAt: T0,
    ...overrides,
  };
}

/** A new interval check (60 s, grace 30 s) unless overridden. */
export function makeCheck(projectId: string, overrides: Partial<Check> = {}): Check {
  const slug = overrides.slug ?? `check-${randomUUID().slice(0, 8)}`;
  const base = newCheck(
    randomUUID(),
    projectId,
    { ...defaultCheckConfig(slug), schedule: { kind: 'interval', period: 60, grace: 30 } },
    T0,
  );
  return { ...base, ...overrides };
}

export function makeChannel(projectId: string, overrides: Partial<Channel> = {}): Channel {
  return {
    id: randomUUID(),
    projectId,
    kind: 'webhook',
    name: 'hook',
    config: { url: 'http://127.0.0.1:9/hook', secret: 's3cret' },
    events: ['down', 'up'],
    minSeverity: 'low',
    maxSeverity: 'critical',
    tags: [],
    brokenReason: null,
    brokenAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makePing(
  checkId: string,
  n: number,
  overrides: Partial<Omit<Ping, 'id'>> = {},
): Omit<Ping, 'id'> {
  return {
    checkId,
    n,
    at: T0 + n * SECOND,
    kind: 'success',
    exitStatus: null,
    method: 'POST',
    source: '127.0.0.1',
    userAgent: 'curl/8',
    rid: null,
    durationMs: null,
    body: `ping ${n}`,
    truncated: false,
    ...overrides,
  };
}

export function makeNotification(
  check: Pick<Check, 'id' | 'projectId'>,
  flipId: number,
  channelId: string,
  overrides: Partial<NewNotification> = {},
): NewNotification {
  return {
    flipId,
    channelId,
    seq: 0,
    projectId: check.projectId,
    checkId: check.id,
    event: 'down',
    payload: JSON.stringify({ event: 'down', flip: { id: flipId } }),
    nextAttemptAt: T0,
    createdAt: T0,
    ...overrides,
  };
}
