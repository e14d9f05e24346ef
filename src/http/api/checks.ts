import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Actor } from '../../audit/actor.ts';
import { UUID_PATTERN as UUID } from '../../core/ids.ts';
import { slugify } from '../../core/slug.ts';
import {
  type CheckPatch,
  CheckRuleError,
  createCheck,
  deleteCheck,
  pauseOrResume,
  SlugTakenError,
  updateCheck,
} from '../../ingest/check-changes.ts';
import { decodeCursor } from '../../store/rows.ts';
import type { Check, Project, Tx } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import {
  CheckCreateSchema,
  CheckFieldsSchema,
  CheckListQuery,
  CheckSchema,
  CheckUpdateSchema,
  FlipSchema,
  IdParam,
  PageQuery,
  PingSchema,
  Slug,
  SlugParam,
} from './check-schemas.ts';
import { checkView, flipView, pingView } from './check-view.ts';
import { ErrorResponses, jsonBody } from './openapi-common.ts';
import { toProbe } from './probe-schema.ts';

type Env = { Variables: AuthVariables };
type Body = z.infer<typeof CheckUpdateSchema>;

/** A check of the key's project; another project's check is "not found", as if it did not exist. */
export async function ownedCheck(tx: Tx, projectId: string, id: string): Promise<Check> {
  const check = UUID.test(id) ? await tx.getCheck(id.toLowerCase()) : null;
  if (!check || check.projectId !== projectId) throw notFound('check');
  return check;
}

/** API fields to the ingest layer's patch; fields left out stay as they are. */
export function toPatch(b: Body): CheckPatch {
  return {
    name: b.name,
    slug: b.slug,
    description: b.description,
    tags: b.tags,
    schedule: b.schedule,
    maxRuntime: b.max_runtime,
    failureThreshold: b.failure_threshold,
    severity: b.severity,
    manualResume: b.manual_resume,
    methods: b.methods,
    channels: b.channels,
    realertEvery: b.realert_every,
    successCriteria: b.success_criteria,
    kind: b.kind,
    probe: b.probe === undefined ? undefined : toProbe(b.probe),
  };
}

/** Channels a check names must be channels of its project, named once each. */
async function knownChannels(tx: Tx, projectId: string, ids: string[] | undefined): Promise<void> {
  if (ids === undefined) return;
  if (new Set(ids).size !== ids.length)
    throw new ApiError(400, 'invalid_request', 'channels: list each channel once');
  const mine = new Set((await tx.listChannels(projectId)).map((ch) => ch.id));
  const unknown = ids.filter((id) => !mine.has(id));
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      'invalid_request',
      `channels: no channel with id ${unknown.map((id) => JSON.stringify(id)).join(', ')} in this project`,
    );
  }
}

const checkOut = { content: { 'application/json': { schema: CheckSchema } } };

export function checkRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  const { store, now, baseUrl } = { ...deps, baseUrl: deps.config.baseUrl };

  async function project(projectId: string): Promise<Project> {
    const p = await store.getProject(projectId);
    if (!p) throw new ApiError(401, 'unauthorized', 'the API key belongs to a deleted project');
    return p;
  }

  const owned = ownedCheck;

  /** A change refused by the check's rules, as the API's errors. */
  function slugTaken<T>(p: Promise<T>): Promise<T> {
    return p.catch((err) => {
      if (err instanceof SlugTakenError) throw new ApiError(409, 'conflict', err.message);
      if (err instanceof CheckRuleError) {
        throw new ApiError(400, 'invalid_request', err.message, [{ field: err.field, message: err.problem }]);
      }
      throw err;
    });
  }

  /** Creates, or with `unique` updates the match; says which. */
  async function upsert(
    projectId: string,
    actor: Actor,
    body: z.infer<typeof CheckCreateSchema>,
    bySlug?: string,
  ) {
    const { unique, ...fields } = body;
    const patch = toPatch(fields);
    if (bySlug !== undefined) patch.slug = bySlug;
    const t = now();
    return slugTaken(
      store.transaction(async (tx) => {
        await knownChannels(tx, projectId, patch.channels);
        let match: Check | null = null;
        if (bySlug !== undefined) match = await tx.getCheckBySlug(projectId, bySlug);
        // without a slug, the one createCheck would derive from the name
        else if (unique?.includes('slug'))
          match = await tx.getCheckBySlug(projectId, patch.slug ?? slugify(patch.name ?? ''));
        if (!match && unique?.includes('name') && patch.name)
          match = await tx.getCheckByName(projectId, patch.name);
        if (match) {
          return { check: await updateCheck(tx, match, patch, t, actor), created: false };
        }
        return {
          check: await createCheck(tx, projectId, patch, { id: deps.newId(), now: t }, actor),
          created: true,
        };
      }),
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/checks',
      summary: 'Create a check (or update the match when "unique" is given)',
      request: { body: jsonBody(CheckCreateSchema) },
      responses: {
        201: { description: 'created', ...checkOut },
        200: { description: 'updated', ...checkOut },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const { check, created } = await upsert(key.projectId, apiActor(c, deps), c.req.valid('json'));
      const view = checkView(check, await project(key.projectId), baseUrl);
      deps.onCommitted({ check, flipId: null, queued: 0 });
      return created ? c.json(view, 201) : c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/checks/by-slug/{slug}',
      summary: 'Create or update the check with this slug',
      request: { params: SlugParam, body: jsonBody(CheckFieldsSchema.omit({ slug: true, unique: true })) },
      responses: {
        201: { description: 'created', ...checkOut },
        200: { description: 'updated', ...checkOut },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const slug = Slug.safeParse(c.req.valid('param').slug);
      if (!slug.success) throw new ApiError(400, 'invalid_request', `slug: ${slug.error.issues[0]?.message}`);
      const { check, created } = await upsert(
        key.projectId,
        apiActor(c, deps),
        c.req.valid('json'),
        slug.data,
      );
      const view = checkView(check, await project(key.projectId), baseUrl);
      deps.onCommitted({ check, flipId: null, queued: 0 });
      return created ? c.json(view, 201) : c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks',
      summary: 'List checks, filtered by tag, status, slug or source; archived ones with ?archived=true',
      request: { query: CheckListQuery },
      responses: {
        200: {
          description: 'a page of checks',
          content: {
            'application/json': {
              schema: z.object({ checks: z.array(CheckSchema), next_cursor: z.string().nullable() }),
            },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const q = c.req.valid('query');
      if (q.cursor !== undefined && !decodeCursor(q.cursor)) {
        throw new ApiError(
          400,
          'invalid_request',
          'cursor: not a next_cursor from a previous page; omit it to start over',
        );
      }
      const p = await project(key.projectId);
      const { checks, next } = await store.listChecks(
        key.projectId,
        {
          tag: q.tag,
          status: q.status,
          slug: q.slug,
          archived: q.archived === 'true',
          sourceId: q.source,
        },
        { limit: q.limit, after: q.cursor },
      );
      return c.json({ checks: checks.map((ch) => checkView(ch, p, baseUrl)), next_cursor: next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks/{id}',
      summary: 'Get one check',
      request: { params: IdParam },
      responses: { 200: { description: 'the check', ...checkOut }, ...ErrorResponses },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const check = await owned(store, key.projectId, c.req.valid('param').id);
      return c.json(checkView(check, await project(key.projectId), baseUrl), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/checks/{id}',
      summary: 'Change some of a check’s settings',
      request: { params: IdParam, body: jsonBody(CheckUpdateSchema) },
      responses: { 200: { description: 'the updated check', ...checkOut }, ...ErrorResponses },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const patch = toPatch(c.req.valid('json'));
      const check = await slugTaken(
        store.transaction(async (tx) => {
          const check = await owned(tx, key.projectId, c.req.valid('param').id);
          await knownChannels(tx, key.projectId, patch.channels);
          return updateCheck(tx, check, patch, now(), apiActor(c, deps));
        }),
      );
      deps.onCommitted({ check, flipId: null, queued: 0 });
      return c.json(checkView(check, await project(key.projectId), baseUrl), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/checks/{id}',
      summary: 'Delete a check and its history',
      request: { params: IdParam },
      responses: { 204: { description: 'deleted' }, ...ErrorResponses },
    }),
    async (c) => {
      const key = c.get('apiKey');
      await store.transaction(async (tx) => {
        const check = await owned(tx, key.projectId, c.req.valid('param').id);
        await deleteCheck(tx, check, now(), apiActor(c, deps));
      });
      return c.body(null, 204);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/checks/{id}/${action}`,
        summary:
          action === 'pause'
            ? 'Pause a check: no alerts until it is pinged (or resumed)'
            : 'Resume a paused or manually-resumed down check',
        request: { params: IdParam },
        responses: { 200: { description: 'the check', ...checkOut }, ...ErrorResponses },
      }),
      async (c) => {
        const key = c.get('apiKey');
        const committed = await store.transaction(async (tx) =>
          pauseOrResume(
            tx,
            await owned(tx, key.projectId, c.req.valid('param').id),
            action,
            now(),
            baseUrl,
            apiActor(c, deps),
          ),
        );
        deps.onCommitted(committed);
        return c.json(checkView(committed.check, await project(key.projectId), baseUrl), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks/{id}/pings',
      summary: 'The check’s pings, newest first',
      request: { params: IdParam, query: PageQuery },
      responses: {
        200: {
          description: 'a page of pings',
          content: {
            'application/json': {
              schema: z.object({ pings: z.array(PingSchema), next_before: z.number().nullable() }),
            },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const q = c.req.valid('query');
      const check = await owned(store, key.projectId, c.req.valid('param').id);
      const pings = await store.listPings(check.id, { limit: q.limit, after: q.before });
      const last = pings.at(-1);
      const more = pings.length === q.limit && last !== undefined && last.n > 1;
      return c.json({ pings: pings.map(pingView), next_before: more ? last.n : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks/{id}/flips',
      summary: 'The check’s status changes, newest first',
      request: { params: IdParam, query: PageQuery },
      responses: {
        200: {
          description: 'a page of flips',
          content: {
            'application/json': {
              schema: z.object({ flips: z.array(FlipSchema), next_before: z.number().nullable() }),
            },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const q = c.req.valid('query');
      const check = await owned(store, key.projectId, c.req.valid('param').id);
      const flips = await store.listFlips(check.id, { limit: q.limit, after: q.before });
      const last = flips.at(-1);
      return c.json(
        { flips: flips.map(flipView), next_before: flips.length === q.limit && last ? last.id : null },
        200,
      );
    },
  );
}
