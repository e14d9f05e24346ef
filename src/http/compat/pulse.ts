// The project-token pulse API: a client declares its checks (PUT /api/config), reports each
// run (POST /api/pulse), reads the status back (GET /api/status) and silences the project for
// deploys (POST /api/maintenance/:projectId). The "project token" is a vigil API key. Every
// check it declares is an ordinary check tagged "pulse" whose slug is the pulse name; see
// docs/compat.md for the mapping.
import { z } from '@hono/zod-openapi';
import { type Context, Hono } from 'hono';
import { recordChange } from '../../audit/audit-log.ts';
import { type CheckPatch, createCheck, updateCheck } from '../../ingest/check-changes.ts';
import { MAX_WINDOWS, quietWindow } from '../../maintenance/window-changes.ts';
import type { ApiKey, Check, Maintenance, Store, Tx } from '../../store/store.ts';
import { Slug } from '../api/check-schemas.ts';
import type { AppDeps } from '../deps.ts';
import { authenticateLimited } from '../middleware/api-key.ts';
import { compatActor } from '../request-actor.ts';
import {
  bearerToken,
  CompatError,
  capBytes,
  checksTagged,
  flatErrors,
  isWrite,
  limitBody,
  parseOr400,
  readJson,
  unixSeconds,
  withTag,
} from './compat-common.ts';

export const PULSE_TAG = 'pulse';
/** The name that marks the windows this API made, so duration=0 ends them and only them. */
export const PULSE_WINDOW_NAME = 'maintenance (pulse API)';

const YEAR = 31_536_000;
const WEEK = 604_800;
const seconds = (min: number) =>
  z.number().int('must be a whole number of seconds').min(min, `must be at least ${min}`).max(YEAR);

const PulseCheck = z.object({
  name: Slug,
  display_name: z.string().trim().min(1).max(200).nullish(),
  type: z.enum(['heartbeat', 'event']).default('heartbeat'),
  interval: seconds(1).default(300),
  grace: seconds(0).default(60),
  threshold: z.number().int().min(1).max(100).default(1),
  cooldown: seconds(0)
    .refine((v) => v === 0 || v >= 60, 'must be 0 (no repeated alerts) or at least 60')
    .default(900),
});

const PulseConfig = z
  .object({ checks: z.array(PulseCheck).max(500, 'at most 500 checks') })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    for (const [i, check] of v.checks.entries()) {
      if (seen.has(check.name)) {
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: 'named twice' });
      }
      seen.add(check.name);
    }
  });

const Pulse = z.object({
  check_name: z.string().min(1).max(100),
  status: z.enum(['ok', 'error']),
  message: z.string().nullish(),
  latency: z
    .number()
    .min(0)
    .max(YEAR * 1000)
    .nullish(),
});

const Duration = z.coerce
  .number()
  .int('must be a whole number of seconds')
  .min(0)
  .max(WEEK, `must be at most 7 days (${WEEK})`);

type PulseStatus = 'ok' | 'error' | 'dead';

/** The settings a declared check maps to (display_name -> name, threshold, cooldown -> reminders). */
function toPatch(spec: z.output<typeof PulseCheck>): CheckPatch {
  return {
    name: spec.display_name ?? spec.name,
    schedule:
      spec.type === 'event'
        ? { kind: 'none' }
        : { kind: 'interval', period: spec.interval, grace: spec.grace },
    failureThreshold: spec.threshold,
    realertEvery: spec.cooldown === 0 ? null : spec.cooldown,
  };
}

/**
 * ok while the check is fine or has not said otherwise (new, up, late, paused); error when a
 * reported failure made it down; dead when pings stopped coming. Late is still ok: the grace
 * period has not run out.
 */
async function pulseStatus(store: Store, check: Check): Promise<PulseStatus> {
  if (check.status !== 'down') return 'ok';
  const flip = await store.lastFlip(check.id);
  return flip?.event === 'failed' || flip?.event === 'too_long' ? 'error' : 'dead';
}

export function pulseRoutes(deps: AppDeps): Hono {
  const { store } = deps;
  const app = new Hono();
  flatErrors(app, deps.log);

  /** The token's key; writes need a read-write one. */
  async function tokenKey(c: Context): Promise<ApiKey> {
    const token = bearerToken(c);
    const key = await authenticateLimited(c, deps, token);
    if (!token) throw new CompatError(401, 'Unauthorized');
    if (!key) throw new CompatError(403, 'Invalid Token');
    if (isWrite(c.req.method) && key.readOnly) {
      throw new CompatError(403, 'Read-only Token', 'this token may only read; use a read-write API key');
    }
    return key;
  }

  async function pulseCheck(projectId: string, name: string): Promise<Check | null> {
    const check = await store.getCheckBySlug(projectId, name);
    return check?.tags.includes(PULSE_TAG) ? check : null;
  }

  app.put('/config', limitBody(), async (c) => {
    const key = await tokenKey(c);
    const config = parseOr400(PulseConfig, await readJson(c), 'Invalid config');
    const now = deps.now();
    const actor = compatActor(c, key, deps);
    const checks = await store.transaction(async (tx) => {
      const out: Check[] = [];
      for (const spec of config.checks) {
        const patch = toPatch(spec);
        const existing = await tx.getCheckBySlug(key.projectId, spec.name);
        out.push(
          existing
            ? await updateCheck(
                tx,
                existing,
                { ...patch, tags: withTag(existing.tags, PULSE_TAG) },
                now,
                actor,
              )
            : await createCheck(
                tx,
                key.projectId,
                { ...patch, slug: spec.name, tags: [PULSE_TAG] },
                { id: deps.newId(), now },
                actor,
              ),
        );
      }
      return out;
    });
    for (const check of checks) deps.onCommitted({ check, flipId: null, queued: 0 });
    return c.json({ success: true, count: checks.length });
  });

  app.post('/pulse', limitBody(), async (c) => {
    const key = await tokenKey(c);
    const pulse = parseOr400(Pulse, await readJson(c), 'Invalid pulse');
    const check = await pulseCheck(key.projectId, pulse.check_name);
    const notFound = new CompatError(404, 'Check not found (please register first)');
    if (!check) throw notFound;
    const message = pulse.message == null ? null : capBytes(pulse.message, deps.config.pingBodyLimit);
    const outcome = await deps.ingestor.submit({
      target: { checkId: check.id },
      kind: pulse.status === 'ok' ? 'success' : 'fail',
      runId: null,
      method: 'POST',
      source: deps.clientAddress(c),
      userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
      body: message?.body ?? null,
      truncated: message?.truncated ?? false,
      at: deps.now(),
      ...(pulse.latency == null ? {} : { durationMs: Math.round(pulse.latency) }),
    });
    if (outcome.result === 'not-found') throw notFound; // deleted meanwhile
    return c.json({ success: true });
  });

  app.post('/maintenance/:projectId', async (c) => {
    const key = await tokenKey(c);
    if (key.projectId !== c.req.param('projectId').toLowerCase()) throw new CompatError(403, 'Invalid Token');
    const duration = parseOr400(
      z.object({ duration: Duration }),
      { duration: c.req.query('duration') },
      'Invalid duration',
    ).duration;
    const now = deps.now();
    const actor = compatActor(c, key, deps);
    const record = (tx: Tx, action: 'maintenance.created' | 'maintenance.deleted', target: Maintenance) =>
      recordChange(tx, actor, { action, projectId: key.projectId, target, at: now });
    // One pulse window at a time: a new call replaces the last (ended ones go too, so they
    // never pile up to the project's window limit), and duration=0 only ends it.
    await store.transaction(async (tx) => {
      const windows = await tx.listMaintenance(key.projectId);
      const mine = windows.filter((m) => m.name === PULSE_WINDOW_NAME);
      for (const m of mine) {
        await tx.deleteMaintenance(m.id);
        await record(tx, 'maintenance.deleted', m);
      }
      if (duration > 0) {
        if (windows.length - mine.length >= MAX_WINDOWS) {
          throw new CompatError(409, 'Too many maintenance windows', `a project has at most ${MAX_WINDOWS}`);
        }
        const window = quietWindow({ name: PULSE_WINDOW_NAME, checks: [], tags: [] }, duration, {
          id: deps.newId(),
          projectId: key.projectId,
          now,
        });
        await tx.insertMaintenance(window);
        await record(tx, 'maintenance.created', window);
      }
      // the alerts held by the old window are looked at again under the new one
      await tx.reviewHeld(key.projectId, now);
    });
    return c.json({ success: true, mode: duration > 0 ? 'maintenance' : 'active' });
  });

  app.get('/status', async (c) => {
    const key = await tokenKey(c);
    const project = await store.getProject(key.projectId);
    if (!project) throw new CompatError(403, 'Invalid Token');
    const checks = await checksTagged(store, key.projectId, PULSE_TAG);
    const views = [];
    for (const check of checks) {
      views.push({
        name: check.slug,
        display_name: check.name,
        type: check.schedule.kind === 'none' ? 'event' : 'heartbeat',
        status: await pulseStatus(store, check),
        failure_count: check.failureCount,
        last_seen: unixSeconds(check.lastPingAt),
        last_message: (await store.lastPing(check.id))?.body ?? null,
      });
    }
    return c.json({ projects: [{ id: project.id, name: project.name }], checks: views });
  });

  return app;
}
