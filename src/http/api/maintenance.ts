// /api/v1/maintenance: windows during which alerts are held (one-off or recurring), and
// "quiet for N minutes" in one call.

import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Actor } from '../../audit/actor.ts';
import { UUID_PATTERN } from '../../core/ids.ts';
import { occurrenceAt, upcoming } from '../../core/maintenance.ts';
import {
  deleteWindow,
  MaintenanceInput,
  quietWindow,
  saveWindow,
  scopeFields,
  toInput,
  toWindow,
  WindowError,
} from '../../maintenance/window-changes.ts';
import type { Maintenance } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, notFound, validationError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import { iso } from './check-view.ts';
import { ErrorResponses, jsonBody } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const DAY = 86_400;

const MaintenanceUpdate = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'any fields of MaintenanceInput; the result must be a valid window' });

const Occurrence = z.object({ starts_at: z.string(), ends_at: z.string() });

const MaintenanceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['once', 'recurring']),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    cron: z.string().nullable(),
    duration: z.number().nullable(),
    timezone: z.string().nullable(),
    checks: z.array(z.string()),
    tags: z.array(z.string()),
    active: z.boolean().openapi({ description: 'holding alerts right now' }),
    next: z
      .array(Occurrence)
      .openapi({ description: 'the current occurrence (if active) and the next ones' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Maintenance');

const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const NowQuery = z.object({
  duration: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(60, 'must be at least 60 s')
    .max(7 * DAY, 'must be at most 7 days (604800 s)')
    .openapi({ param: { name: 'duration', in: 'query' }, example: 600, description: 'seconds' }),
});
const NowBody = z
  .strictObject({ name: z.string().trim().min(1).max(200).optional(), ...scopeFields })
  .openapi('MaintenanceNow');
const out = { content: { 'application/json': { schema: MaintenanceSchema } } };

function view(m: Maintenance, now: number): z.infer<typeof MaintenanceSchema> {
  return {
    id: m.id,
    name: m.name,
    kind: m.kind,
    starts_at: m.kind === 'once' ? iso(m.startsAt) : null,
    ends_at: m.kind === 'once' ? iso(m.endsAt) : null,
    cron: m.kind === 'recurring' ? m.cron : null,
    duration: m.kind === 'recurring' ? m.duration : null,
    timezone: m.kind === 'recurring' ? m.timezone : null,
    checks: [...m.checkIds],
    tags: [...m.tags],
    active: occurrenceAt(m, now) !== null,
    next: upcoming(m, now, 3).map((o) => ({ starts_at: iso(o.start), ends_at: iso(o.end) })),
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
  };
}

export function maintenanceRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  const { store } = deps;

  async function owned(projectId: string, id: string): Promise<Maintenance> {
    const m = UUID_PATTERN.test(id) ? await store.getMaintenance(id.toLowerCase()) : null;
    if (!m || m.projectId !== projectId) throw notFound('maintenance window');
    return m;
  }

  /** Saves a window and has held alerts of the project looked at again under the new windows. */
  async function save(m: Maintenance, before: Maintenance | null, actor: Actor): Promise<void> {
    try {
      await saveWindow(store, m, before, deps.now(), actor);
    } catch (err) {
      if (!(err instanceof WindowError)) throw err;
      throw new ApiError(err.status, err.status === 409 ? 'conflict' : 'invalid_request', err.message);
    }
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/maintenance',
      summary:
        'Add a maintenance window: one-off (starts_at, ends_at) or recurring (cron, duration, timezone)',
      request: { body: jsonBody(MaintenanceInput) },
      responses: { 201: { description: 'created', ...out }, ...ErrorResponses },
    }),
    async (c) => {
      const now = deps.now();
      const m = toWindow(c.req.valid('json'), {
        id: deps.newId(),
        projectId: c.get('apiKey').projectId,
        createdAt: now,
        updatedAt: now,
      });
      await save(m, null, apiActor(c, deps));
      return c.json(view(m, now), 201);
    },
  );

  // Documented like every route, but validated by hand: the body is optional, and an empty
  // one must work even when the client sends "Content-Type: application/json" anyway.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/maintenance/now',
      summary: 'Quiet for a while: a one-off window from now for `duration` seconds',
      request: {
        query: NowQuery,
        body: { content: { 'application/json': { schema: NowBody } }, required: false },
      },
      responses: { 201: { description: 'created', ...out }, ...ErrorResponses },
    }),
  );
  app.post('/maintenance/now', async (c) => {
    const now = deps.now();
    const query = NowQuery.safeParse(c.req.query());
    if (!query.success) throw validationError(query.error, 'query');
    const duration = query.data.duration;
    const raw = await c.req.text();
    let parsed: unknown = {};
    if (raw.trim() !== '') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new ApiError(400, 'invalid_request', 'body: not valid JSON (or send no body at all)');
      }
    }
    const body = NowBody.safeParse(parsed);
    if (!body.success) throw validationError(body.error, '');
    const m = quietWindow(body.data, duration, {
      id: deps.newId(),
      projectId: c.get('apiKey').projectId,
      now,
    });
    await save(m, null, apiActor(c, deps));
    return c.json(view(m, now), 201);
  });
  // before /maintenance/{id}, which would take "now" for an id and answer 404
  app.all('/maintenance/now', (c) => {
    c.header('Allow', 'POST');
    throw new ApiError(405, 'method_not_allowed', `${c.req.method} is not allowed here; use POST`);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/maintenance',
      summary: 'List maintenance windows, with whether each is active and its next occurrences',
      responses: {
        200: {
          description: 'the windows',
          content: { 'application/json': { schema: z.object({ maintenance: z.array(MaintenanceSchema) }) } },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const now = deps.now();
      const windows = await store.listMaintenance(c.get('apiKey').projectId);
      return c.json({ maintenance: windows.map((m) => view(m, now)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/maintenance/{id}',
      summary: 'Get one maintenance window',
      request: { params: IdParam },
      responses: { 200: { description: 'the window', ...out }, ...ErrorResponses },
    }),
    async (c) =>
      c.json(view(await owned(c.get('apiKey').projectId, c.req.valid('param').id), deps.now()), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/maintenance/{id}',
      summary: 'Change a window; held alerts are looked at again at once',
      request: { params: IdParam, body: jsonBody(MaintenanceUpdate) },
      responses: { 200: { description: 'the window', ...out }, ...ErrorResponses },
    }),
    async (c) => {
      const old = await owned(c.get('apiKey').projectId, c.req.valid('param').id);
      const patch = c.req.valid('json');
      // switching kind: the fields of the other kind go
      const base = toInput(old);
      if ('cron' in patch || 'duration' in patch || 'timezone' in patch) {
        delete base.starts_at;
        delete base.ends_at;
      }
      if ('starts_at' in patch || 'ends_at' in patch) {
        delete base.cron;
        delete base.duration;
        delete base.timezone;
      }
      const parsed = MaintenanceInput.safeParse({ ...base, ...patch });
      if (!parsed.success) throw validationError(parsed.error, '');
      const now = deps.now();
      const m = toWindow(parsed.data, {
        id: old.id,
        projectId: old.projectId,
        createdAt: old.createdAt,
        updatedAt: now,
      });
      await save(m, old, apiActor(c, deps));
      return c.json(view(m, now), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/maintenance/{id}',
      summary: 'Delete a window (ends it now if active); alerts it held are looked at again at once',
      request: { params: IdParam },
      responses: { 204: { description: 'deleted' }, ...ErrorResponses },
    }),
    async (c) => {
      const m = await owned(c.get('apiKey').projectId, c.req.valid('param').id);
      await deleteWindow(store, m, deps.now(), apiActor(c, deps));
      return c.body(null, 204);
    },
  );
}
