// Dashboard render time with 10,000 checks: the first page of the checks list (50 rows, each
// with its strip of the last 30 results), measured in process through the real app on a temp
// SQLite file. The baseline, in the same run, is the new-check form: the same layout and
// session handling without the list's queries. Target: the first page under 300 ms.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemActor } from '../src/audit/actor.ts';
import { createUser } from '../src/auth/users.ts';
import { EventBus } from '../src/events/bus.ts';
import { createApp } from '../src/http/app.ts';
import { Ingestor } from '../src/ingest/ingest.ts';
import { defaultCheckConfig, newCheck } from '../src/ingest/new-check.ts';
import { createHttpClient } from '../src/notifiers/http.ts';
import { createProject } from '../src/projects/keys.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Check } from '../src/store/store.ts';
import { randomToken, SESSION_COOKIE, sha256 } from '../src/web/session.ts';
import { fmt, ratio, spread, table } from './report.ts';

export interface DashboardOptions {
  checks: number;
  /** pings stored for each check on the first page */
  pingsPerCheck: number;
  requests: number;
}

export const DASHBOARD_DEFAULTS: DashboardOptions = { checks: 10_000, pingsPerCheck: 60, requests: 40 };

export interface Timing {
  p50: number;
  p99: number;
  max: number;
}

export interface DashboardResult {
  options: DashboardOptions;
  list: Timing;
  baseline: Timing;
  rows: number;
}

export async function runDashboard(opts: DashboardOptions = DASHBOARD_DEFAULTS): Promise<DashboardResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-dashboard-'));
  const store = await openSqliteStore(join(dir, 'vigil.db'));
  try {
    const now = Date.now();
    const project = await store.transaction((tx) => createProject(tx, 'bench', now, systemActor('bench')));
    console.error(`[bench] dashboard: inserting ${fmt(opts.checks)} checks`);
    const checks: Check[] = [];
    for (let i = 0; i < opts.checks; i++) {
      const slug = `bench-${String(i).padStart(5, '0')}`;
      const config = {
        ...defaultCheckConfig(slug),
        name: `bench ${String(i).padStart(5, '0')}`,
        tags: ['bench'],
      };
      checks.push({ ...newCheck(randomUUID(), project.id, config, now), status: 'up', lastPingAt: now });
    }
    for (let i = 0; i < checks.length; i += 1000) {
      await store.transaction(async (tx) => {
        for (const c of checks.slice(i, i + 1000)) await tx.insertCheck(c);
      });
    }
    // the first page (names sort first) gets a real history: pings with bodies and flips
    await store.transaction(async (tx) => {
      for (const c of checks.slice(0, 50)) {
        for (let n = 1; n <= opts.pingsPerCheck; n++) {
          await tx.insertPing(
            {
              checkId: c.id,
              n,
              at: now - (opts.pingsPerCheck - n) * 60_000,
              clientAt: null,
              kind: n % 7 === 0 ? 'fail' : 'success',
              exitStatus: null,
              method: 'POST',
              source: '127.0.0.1',
              userAgent: 'bench',
              rid: null,
              durationMs: 1200,
              body: 'x'.repeat(1024),
              truncated: false,
            },
            1000,
          );
        }
        for (let f = 0; f < 4; f++) {
          await tx.insertFlip({
            checkId: c.id,
            at: now - f * 600_000,
            from: 'up',
            to: 'down',
            reason: 'bench',
            event: 'down',
          });
        }
      }
    });

    const cookie = await signedIn(store, project.id, now);
    const app = createApp({
      store,
      ingestor: new Ingestor(store, { baseUrl: 'http://bench', retention: 1000, newId: randomUUID }),
      http: createHttpClient(),
      config: { baseUrl: 'http://bench', pingBodyLimit: 100 * 1024, trustProxy: false },
      now: () => Date.now(),
      newId: randomUUID,
      clientAddress: () => '127.0.0.1',
      onCommitted: () => {},
      health: async () => ({ ok: true }),
      log: (err) => console.error(err),
      bus: new EventBus(),
    });

    const time = async (path: string): Promise<Timing> => {
      const ms: number[] = [];
      for (let i = 0; i < opts.requests + 3; i++) {
        const start = performance.now();
        const res = await app.request(path, { headers: { cookie } });
        await res.text();
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
        if (i >= 3) ms.push(performance.now() - start); // three warm-ups
      }
      return spread(ms);
    };
    console.error(`[bench] dashboard: ${opts.requests} requests each`);
    const baseline = await time('/checks/new');
    const list = await time('/checks');
    const html = await (await app.request('/checks', { headers: { cookie } })).text();
    const rows = html.match(/<tr id="check-/g)?.length ?? 0;
    return { options: opts, list, baseline, rows };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function signedIn(store: Awaited<ReturnType<typeof openSqliteStore>>, projectId: string, now: number) {
  const token = randomToken();
  await store.transaction(async (tx) => {
    const user = await createUser(tx, 'bench@example.com', 'correct horse battery', now);
    await tx.putMembership({ userId: user.id, projectId, role: 'owner', createdAt: now });
    await tx.insertSession({
      id: await sha256(token),
      userId: user.id,
      csrfToken: randomToken(24),
      projectId,
      createdAt: now,
      expiresAt: now + 86_400_000,
    });
  });
  return `${SESSION_COOKIE}=${token}`;
}

export function dashboardProblems(r: DashboardResult): string[] {
  return r.rows === 50 ? [] : [`the first page showed ${r.rows} rows, not 50`];
}

export function dashboardMarkdown(r: DashboardResult): string {
  const row = (name: string, t: Timing) => [name, fmt(t.p50, 1), fmt(t.p99, 1), fmt(t.max, 1)];
  return [
    `### Dashboard — first page of the checks list with ${fmt(r.options.checks)} checks (${r.rows} rows, ${r.options.pingsPerCheck} pings each), ${r.options.requests} requests`,
    '',
    table(
      ['page', 'p50 ms', 'p99 ms', 'max ms'],
      [row('GET /checks (first page)', r.list), row('baseline: GET /checks/new', r.baseline)],
    ),
    '',
    `Ratio p99 list / baseline: ${ratio(r.list.p99, r.baseline.p99)}; target: the first page under 300 ms (${r.list.p99 < 300 ? 'met' : 'NOT met'}).`,
  ].join('\n');
}
