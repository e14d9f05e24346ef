// The daemon registry API: daemons register, send heartbeats with their health, and anyone
// with a key reads who is active and who went stale. A daemon is an ordinary check (slug
// "daemon/<daemonId>", tag "daemon") whose interval is the stale-after time with no grace, so
// a daemon that stops sending goes down and alerts like any check.
//
// Where things live: what a daemon registered with (version, capabilities, poll interval) is
// kept in the store's key-value meta table under "compat:daemon:<check id>" — no migration,
// and the check's own fields stay the user's. Each heartbeat is a ping whose body is the
// heartbeat's JSON, so the latest status, task count and current task come from the last
// ping, and the history is the check's ping history.
import { z } from '@hono/zod-openapi';
import { type Context, Hono } from 'hono';
import type { PingKind } from '../../core/types.ts';
import { type CheckPatch, createCheck, updateCheck } from '../../ingest/check-changes.ts';
import { parseClientTime } from '../../ingest/client-time.ts';
import type { ApiKey, Check, Store } from '../../store/store.ts';
import { Slug } from '../api/check-schemas.ts';
import type { AppDeps } from '../deps.ts';
import { authenticateLimited } from '../middleware/api-key.ts';
import { compatActor } from '../request-actor.ts';
import {
  CompatError,
  checksTagged,
  flatErrors,
  isWrite,
  limitBody,
  parseOr400,
  readJson,
  withTag,
} from './compat-common.ts';

export const DAEMON_TAG = 'daemon';
/** Seconds without a heartbeat before a daemon is stale (VIGIL_DAEMON_STALE_AFTER). */
export const DEFAULT_STALE_AFTER = 60;
/** Stale for longer than this, a daemon leaves the health listing (its check and history stay). */
const FORGOTTEN_AFTER_MS = 7 * 86_400_000;

const metaKey = (checkId: string) => `compat:daemon:${checkId}`;
/** Daemon ids are matched without regard to case: the slug is lowercase. */
const slugOf = (daemonId: string) => `daemon/${daemonId.toLowerCase()}`;

const Timestamp = z.union([z.string().max(64), z.number()]);

const Registration = z.object({
  daemonId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,92}$/, 'use 1-93 letters, digits, "_", "." or "-"')
    .refine((id) => Slug.safeParse(slugOf(id)).success, 'must not be start, fail, log or a number'),
  version: z.string().max(100).nullish(),
  capabilities: z.array(z.string().max(100)).max(100).default([]),
  pollInterval: z.number().int().min(0).nullish(),
  registeredAt: Timestamp.nullish(),
});

const Heartbeat = z.object({
  daemonId: z.string().min(1).max(100),
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  tasksProcessed: z.number().int().min(0).default(0),
  currentTask: z.string().max(500).nullish(),
  lastHeartbeat: Timestamp.nullish(),
});

/** What a daemon registered with, as kept in the meta table. */
interface DaemonMeta {
  daemonId: string;
  version: string | null;
  capabilities: string[];
  pollInterval: number | null;
  registeredAt: string | number;
  /** when vigil took the registration: staleness counts from here until a heartbeat comes */
  receivedAt: number;
}

/**
 * healthy: a success; unhealthy: a failure (counts towards the failure threshold); degraded: a
 * warning, which makes the check late, so only channels that take "late" events hear of it.
 */
const KIND: Record<z.output<typeof Heartbeat>['status'], PingKind> = {
  healthy: 'success',
  degraded: 'warn',
  unhealthy: 'fail',
};

function parseJson(text: string | null | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {}; // a ping sent another way (e.g. /ping/<uuid>) has no heartbeat fields
  }
}

async function daemonView(store: Store, check: Check) {
  const meta = parseJson(await store.getMeta(metaKey(check.id))) as Partial<DaemonMeta>;
  const last = await store.lastPing(check.id);
  const beat = parseJson(last?.body);
  return {
    view: {
      daemonId: meta.daemonId ?? check.slug.replace(/^daemon\//, ''),
      version: meta.version ?? null,
      capabilities: meta.capabilities ?? [],
      pollInterval: meta.pollInterval ?? null,
      registeredAt: meta.registeredAt ?? new Date(check.createdAt).toISOString(),
      // as the daemon sent it; when it sent none, when vigil received it
      lastHeartbeat: beat.lastHeartbeat ?? (last ? new Date(last.at).toISOString() : null),
      status: typeof beat.status === 'string' ? beat.status : null,
      tasksProcessed: typeof beat.tasksProcessed === 'number' ? beat.tasksProcessed : 0,
      currentTask: typeof beat.currentTask === 'string' ? beat.currentTask : null,
    },
    since: check.lastPingAt ?? meta.receivedAt ?? check.createdAt,
  };
}

export function daemonRoutes(deps: AppDeps): Hono {
  const { store } = deps;
  const staleAfter = deps.config.daemonStaleAfter ?? DEFAULT_STALE_AFTER;
  const app = new Hono();
  flatErrors(app, deps.log);

  /** X-API-Key only; authenticate compares in constant time. */
  async function daemonKey(c: Context): Promise<ApiKey> {
    const token = c.req.header('x-api-key');
    const key = await authenticateLimited(c, deps, token);
    if (!key) throw new CompatError(401, 'Unauthorized');
    if (isWrite(c.req.method) && key.readOnly) {
      throw new CompatError(403, 'Forbidden', 'this API key is read-only; use a read-write key');
    }
    return key;
  }

  app.post('/register', limitBody(), async (c) => {
    const key = await daemonKey(c);
    const reg = parseOr400(Registration, await readJson(c), 'Invalid registration');
    const now = deps.now();
    const registeredAt = reg.registeredAt ?? new Date(now).toISOString();
    const slug = slugOf(reg.daemonId);
    const actor = compatActor(c, key, deps);
    const wanted: CheckPatch = {
      name: `daemon ${reg.daemonId}`,
      schedule: { kind: 'interval', period: staleAfter, grace: 0 },
    };
    const check = await store.transaction(async (tx) => {
      const existing = await tx.getCheckBySlug(key.projectId, slug);
      let check: Check;
      if (!existing) {
        check = await createCheck(
          tx,
          key.projectId,
          {
            ...wanted,
            slug,
            tags: [DAEMON_TAG],
            description: 'registered through the daemon registry API',
          },
          { id: deps.newId(), now },
          actor,
        );
      } else if (
        existing.name !== wanted.name ||
        !existing.tags.includes(DAEMON_TAG) ||
        existing.schedule.kind !== 'interval' ||
        existing.schedule.period !== staleAfter
      ) {
        check = await updateCheck(
          tx,
          existing,
          { ...wanted, tags: withTag(existing.tags, DAEMON_TAG) },
          now,
          actor,
        );
      } else {
        // Unchanged settings are not rewritten: an edit re-evaluates the status, and a degraded
        // (late) daemon that restarts must not read as healthy before its first heartbeat.
        check = existing;
      }
      const meta: DaemonMeta = {
        daemonId: reg.daemonId,
        version: reg.version ?? null,
        capabilities: reg.capabilities,
        pollInterval: reg.pollInterval ?? null,
        registeredAt,
        receivedAt: now,
      };
      await tx.setMeta(metaKey(check.id), JSON.stringify(meta));
      return check;
    });
    deps.onCommitted({ check, flipId: null, queued: 0 });
    return c.json({ success: true, daemonId: reg.daemonId, registeredAt }, 201);
  });

  app.post('/heartbeat', limitBody(), async (c) => {
    const key = await daemonKey(c);
    const beat = parseOr400(Heartbeat, await readJson(c), 'Invalid heartbeat');
    const check = await store.getCheckBySlug(key.projectId, slugOf(beat.daemonId));
    const notRegistered = new CompatError(404, 'Daemon not registered');
    if (!check?.tags.includes(DAEMON_TAG)) throw notRegistered;
    const outcome = await deps.ingestor.submit({
      target: { checkId: check.id },
      kind: KIND[beat.status],
      runId: null,
      method: 'POST',
      source: deps.clientAddress(c),
      userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
      body: JSON.stringify({
        status: beat.status,
        tasksProcessed: beat.tasksProcessed,
        currentTask: beat.currentTask ?? null,
        lastHeartbeat: beat.lastHeartbeat ?? null,
      }),
      truncated: false,
      at: deps.now(),
      // the daemon's clock: shown as the ping's skew, while staleness counts from `at`
      clientAt: parseClientTime(beat.lastHeartbeat),
    });
    if (outcome.result === 'not-found') throw notRegistered;
    return c.json({ success: true });
  });

  app.get('/health', async (c) => {
    const key = await daemonKey(c);
    const now = deps.now();
    const active = [];
    const stale = [];
    for (const check of await checksTagged(store, key.projectId, DAEMON_TAG)) {
      const { view, since } = await daemonView(store, check);
      const quiet = now - since;
      if (quiet <= staleAfter * 1000) active.push(view);
      else if (quiet <= FORGOTTEN_AFTER_MS) stale.push(view);
    }
    return c.json({ activeDaemons: active, stale, totalActive: active.length });
  });

  return app;
}
