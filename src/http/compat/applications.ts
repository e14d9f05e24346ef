// The application heartbeat API: applications POST /heartbeat/{uuid}; an admin manages them
// under /api/applications with an API key. An application is an ordinary interval check
// tagged "application": its `id` and `uuid` are both the check's id (the ping UUID), so
// /heartbeat/{uuid} and /ping/{uuid} reach the same check. See docs/compat.md.
import { z } from '@hono/zod-openapi';
import { type Context, Hono } from 'hono';
import { UUID_PATTERN as UUID } from '../../core/ids.ts';
import {
  type CheckPatch,
  createCheck,
  deleteCheck,
  pauseOrResume,
  updateCheck,
} from '../../ingest/check-changes.ts';
import type { ApiKey, Check } from '../../store/store.ts';
import { requestAddress } from '../client-address.ts';
import type { AppDeps } from '../deps.ts';
import { authenticateLimited } from '../middleware/api-key.ts';
import { pingWait } from '../ping-handler.ts';
import { RateLimitedError } from '../rate-limit.ts';
import { compatActor } from '../request-actor.ts';
import {
  bearerToken,
  CompatError,
  checksTagged,
  flatErrors,
  isoOrNull,
  isWrite,
  limitBody,
  parseOr400,
  readJson,
  withTag,
} from './compat-common.ts';

export const APPLICATION_TAG = 'application';
const DEFAULT_GRACE_PERIOD = 60;
const YEAR = 31_536_000;
const seconds = (min: number) =>
  z.number().int('must be a whole number of seconds').min(min, `must be at least ${min}`).max(YEAR);

const ApplicationFields = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  expected_interval: seconds(1),
  grace_period: seconds(0).default(DEFAULT_GRACE_PERIOD),
});
const ApplicationUpdate = z.object({
  name: ApplicationFields.shape.name.optional(),
  expected_interval: seconds(1).optional(),
  grace_period: seconds(0).optional(),
  is_active: z.boolean().optional(),
});
const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

function view(check: Check) {
  const interval = check.schedule.kind === 'interval' ? check.schedule : null;
  return {
    id: check.id,
    uuid: check.id,
    name: check.name,
    // null when someone gave the check a cron or no schedule in vigil itself
    expected_interval: interval?.period ?? null,
    grace_period: interval?.grace ?? null,
    last_heartbeat: isoOrNull(check.lastPingAt),
    is_active: check.status !== 'paused',
    created_at: new Date(check.createdAt).toISOString(),
    updated_at: new Date(check.updatedAt).toISOString(),
  };
}

export function applicationRoutes(deps: AppDeps): Hono {
  const { store } = deps;
  const app = new Hono();
  flatErrors(app, deps.log);

  async function adminKey(c: Context): Promise<ApiKey> {
    const token = c.req.header('x-api-key') ?? bearerToken(c);
    const key = await authenticateLimited(c, deps, token);
    if (!key) throw new CompatError(401, 'Unauthorized');
    if (isWrite(c.req.method) && key.readOnly) {
      throw new CompatError(403, 'This API key is read-only; use a read-write key');
    }
    return key;
  }

  /** An application is a check tagged "application"; anything else is not found. */
  async function application(projectId: string | null, id: string): Promise<Check> {
    const check = UUID.test(id) ? await store.getCheck(id.toLowerCase()) : null;
    const mine = projectId === null || check?.projectId === projectId;
    if (!check || !mine || !check.tags.includes(APPLICATION_TAG)) {
      throw new CompatError(404, 'Application not found');
    }
    return check;
  }

  // The UUID is the secret, as in /ping/{uuid}: no key.
  app.post('/heartbeat/:uuid', async (c) => {
    const uuid = c.req.param('uuid');
    // limited as pings are: per application and per address
    const limits = deps.rateLimits;
    const wait = limits ? pingWait(limits, uuid.toLowerCase(), requestAddress(c, deps), deps.now()) : 0;
    if (wait > 0) throw new RateLimitedError(wait, 'too many heartbeats for this application or address');
    const check = await application(null, uuid);
    const outcome = await deps.ingestor.submit({
      target: { checkId: check.id },
      kind: 'success',
      runId: null,
      method: 'POST',
      source: deps.clientAddress(c),
      userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
      body: null,
      truncated: false,
      at: deps.now(),
    });
    if (outcome.result === 'not-found') throw new CompatError(404, 'Application not found');
    return c.json({ status: 'ok' });
  });

  app.get('/api/applications', async (c) => {
    const key = await adminKey(c);
    const checks = await checksTagged(store, key.projectId, APPLICATION_TAG);
    return c.json(checks.map(view));
  });

  app.post('/api/applications', limitBody(), async (c) => {
    const key = await adminKey(c);
    const body = parseOr400(ApplicationFields, await readJson(c), 'Invalid application');
    const now = deps.now();
    const check = await store.transaction((tx) =>
      createCheck(
        tx,
        key.projectId,
        {
          name: body.name,
          tags: [APPLICATION_TAG],
          schedule: { kind: 'interval', period: body.expected_interval, grace: body.grace_period },
        },
        { id: deps.newId(), now },
        compatActor(c, key, deps),
      ),
    );
    deps.onCommitted({ check, flipId: null, queued: 0 });
    return c.json(view(check), 201);
  });

  app.get('/api/applications/:id', async (c) => {
    const key = await adminKey(c);
    return c.json(view(await application(key.projectId, c.req.param('id'))));
  });

  app.put('/api/applications/:id', limitBody(), async (c) => {
    const key = await adminKey(c);
    const old = await application(key.projectId, c.req.param('id'));
    const body = parseOr400(ApplicationUpdate, await readJson(c), 'Invalid application');
    const now = deps.now();
    const current = old.schedule.kind === 'interval' ? old.schedule : null;
    const patch: CheckPatch = { name: body.name, tags: withTag(old.tags, APPLICATION_TAG) };
    if (body.expected_interval !== undefined || body.grace_period !== undefined) {
      const period = body.expected_interval ?? current?.period;
      if (period === undefined) {
        throw new CompatError(400, 'expected_interval: required, the check has no interval schedule now');
      }
      patch.schedule = { kind: 'interval', period, grace: body.grace_period ?? current?.grace };
    }
    const actor = compatActor(c, key, deps);
    const committed = await store.transaction(async (tx) => {
      const fresh = await tx.getCheck(old.id);
      if (!fresh) throw new CompatError(404, 'Application not found');
      const check = await updateCheck(tx, fresh, patch, now, actor);
      // is_active is pause/resume; a resumed application waits for its next heartbeat (new)
      const paused = check.status === 'paused';
      if (body.is_active === undefined || body.is_active !== paused)
        return { check, flipId: null, queued: 0 };
      return pauseOrResume(tx, check, body.is_active ? 'resume' : 'pause', now, deps.config.baseUrl, actor);
    });
    deps.onCommitted(committed);
    return c.json(view(committed.check));
  });

  app.delete('/api/applications/:id', async (c) => {
    const key = await adminKey(c);
    const check = await application(key.projectId, c.req.param('id'));
    await store.transaction((tx) => deleteCheck(tx, check, deps.now(), compatActor(c, key, deps)));
    return c.body(null, 204);
  });

  app.get('/api/applications/:id/heartbeats', async (c) => {
    const key = await adminKey(c);
    const check = await application(key.projectId, c.req.param('id'));
    const { limit } = parseOr400(HistoryQuery, c.req.query(), 'Invalid query');
    const pings = await store.listPings(check.id, { limit });
    return c.json({
      heartbeats: pings.map((p) => ({
        id: p.n,
        received_at: new Date(p.at).toISOString(),
        kind: p.kind,
        source: p.source,
        user_agent: p.userAgent,
      })),
    });
  });

  return app;
}
