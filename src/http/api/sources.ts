// /sources: the databases and projects vigil reads jobs from (pg_cron, Supabase functions).
// Secrets in a source's config are masked in every answer, as channels mask theirs.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { sourceKindProblem } from '../../capabilities.ts';
import { UUID_PATTERN } from '../../core/ids.ts';
import { isJobCheck } from '../../sources/reconcile.ts';
import { adapterFor, isSourceKind, mergeSourceConfig, SOURCE_KINDS } from '../../sources/registry.ts';
import { createSource, removeSource, SourceError, updateSource } from '../../sources/source-changes.ts';
import { summarizeSource } from '../../sources/source-summary.ts';
import type { Source, SourceKind, Tx } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, fieldError, notFound, validationError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import { ErrorResponses, ErrorSchema, jsonBody } from './openapi-common.ts';
import {
  reportView,
  SourceCreate,
  SourceSchema,
  SourceUpdate,
  SummarySchema,
  SyncReportSchema,
  sourceView,
  summaryView,
} from './source-schemas.ts';

type Env = { Variables: AuthVariables };

const IdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'the source id' }),
});
const sourceOut = { content: { 'application/json': { schema: SourceSchema } } };
const unavailable = {
  description: 'this server cannot sync on demand',
  content: { 'application/json': { schema: ErrorSchema } },
};

async function countJobChecks(tx: Tx, s: Source): Promise<number> {
  return (await tx.listSourceChecks(s.id)).filter((c) => isJobCheck(c) && c.archivedAt === null).length;
}

function validConfig(kind: SourceKind, config: Record<string, unknown>): Record<string, unknown> {
  const parsed = adapterFor(kind).configSchema.safeParse(config);
  if (!parsed.success) throw validationError(parsed.error, 'config');
  return parsed.data;
}

function sourceErrors<T>(p: Promise<T>): Promise<T> {
  return p.catch((err) => {
    if (!(err instanceof SourceError)) throw err;
    const conflict = err.reason === 'conflict';
    throw new ApiError(conflict ? 409 : 400, conflict ? 'conflict' : 'invalid_request', err.message);
  });
}

/** A source of the key's project; another project's source is "not found", as if it did not exist. */
export async function ownedSource(tx: Tx, projectId: string, id: string): Promise<Source> {
  const source = UUID_PATTERN.test(id) ? await tx.getSource(id.toLowerCase()) : null;
  if (!source || source.projectId !== projectId) throw notFound('source');
  return source;
}

export function sourceRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  const { store } = deps;
  const baseUrl = deps.config.baseUrl;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sources',
      summary: 'List sources with their health (secrets masked)',
      responses: {
        200: {
          description: 'the sources',
          content: { 'application/json': { schema: z.object({ sources: z.array(SourceSchema) }) } },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const sources = await store.listSources(c.get('apiKey').projectId);
      const views = [];
      for (const s of sources) views.push(sourceView(s, await countJobChecks(store, s)));
      return c.json({ sources: views }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sources',
      summary: 'Add a source; it is read at once, then every sync_interval',
      request: { body: jsonBody(SourceCreate) },
      responses: { 201: { description: 'created', ...sourceOut }, ...ErrorResponses },
    }),
    async (c) => {
      const projectId = c.get('apiKey').projectId;
      const body = c.req.valid('json');
      if (!isSourceKind(body.kind))
        throw new ApiError(
          400,
          'invalid_request',
          `kind: unknown source kind "${body.kind}"; use one of: ${SOURCE_KINDS.join(', ')}`,
        );
      const kind = body.kind;
      const unavailable = sourceKindProblem(kind, deps.capabilities);
      if (unavailable !== null) throw fieldError('kind', unavailable);
      const config = validConfig(kind, body.config);
      const source = await sourceErrors(
        store.transaction((tx) =>
          createSource(
            tx,
            {
              projectId,
              name: body.name,
              kind,
              config,
              severity: body.severity,
              tags: body.tags,
              syncInterval: body.sync_interval,
              grace: body.grace,
            },
            { now: deps.now(), newId: deps.newId },
            apiActor(c, deps),
          ),
        ),
      );
      const health = source.healthCheckId ? await store.getCheck(source.healthCheckId) : null;
      if (health) deps.onCommitted({ check: health, flipId: null, queued: 0 });
      return c.json(sourceView(source, 0), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sources/{id}',
      summary: 'Get one source (secrets masked)',
      request: { params: IdParam },
      responses: { 200: { description: 'the source', ...sourceOut }, ...ErrorResponses },
    }),
    async (c) => {
      const source = await ownedSource(store, c.get('apiKey').projectId, c.req.valid('param').id);
      return c.json(sourceView(source, await countJobChecks(store, source)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/sources/{id}',
      summary: 'Change a source’s settings; config is merged, and a masked secret keeps its value',
      request: { params: IdParam, body: jsonBody(SourceUpdate) },
      responses: { 200: { description: 'the source', ...sourceOut }, ...ErrorResponses },
    }),
    async (c) => {
      const projectId = c.get('apiKey').projectId;
      const body = c.req.valid('json');
      const { source, committed } = await sourceErrors(
        store.transaction(async (tx) => {
          const before = await ownedSource(tx, projectId, c.req.valid('param').id);
          if (body.name !== undefined && body.name !== before.name) {
            throw new ApiError(
              400,
              'invalid_request',
              'name: a source’s name cannot change (its checks’ slugs start with it); add a new source instead',
            );
          }
          const config = body.config
            ? validConfig(before.kind, mergeSourceConfig(before.kind, before.config, body.config))
            : undefined;
          return updateSource(
            tx,
            before,
            {
              config,
              severity: body.severity,
              tags: body.tags,
              syncInterval: body.sync_interval,
              grace: body.grace,
            },
            { now: deps.now(), baseUrl },
            apiActor(c, deps),
          );
        }),
      );
      if (committed) deps.onCommitted(committed);
      return c.json(sourceView(source, await countJobChecks(store, source)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/sources/{id}',
      summary: 'Remove a source; its checks are paused and archived, their history kept',
      request: { params: IdParam },
      responses: { 204: { description: 'removed' }, ...ErrorResponses },
    }),
    async (c) => {
      const projectId = c.get('apiKey').projectId;
      const committed = await store.transaction(async (tx) =>
        removeSource(
          tx,
          await ownedSource(tx, projectId, c.req.valid('param').id),
          deps.now(),
          baseUrl,
          apiActor(c, deps),
        ),
      );
      for (const one of committed) deps.onCommitted(one);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sources/{id}/sync',
      summary: 'Read the source now instead of at its next interval, and report what changed',
      request: { params: IdParam },
      responses: {
        200: {
          description: 'what the sync did',
          content: { 'application/json': { schema: SyncReportSchema } },
        },
        ...ErrorResponses,
        503: unavailable,
      },
    }),
    async (c) => {
      const source = await ownedSource(store, c.get('apiKey').projectId, c.req.valid('param').id);
      if (!deps.syncSource) {
        throw new ApiError(
          503,
          'unavailable',
          `this server does not sync sources on demand; "${source.name}" is read every ${source.syncInterval} s`,
        );
      }
      return c.json(reportView(source, await deps.syncSource(source.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sources/{id}/summary',
      summary: 'How the source’s jobs are doing: totals by outcome, and each job',
      request: { params: IdParam },
      responses: {
        200: { description: 'the summary', content: { 'application/json': { schema: SummarySchema } } },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const source = await ownedSource(store, c.get('apiKey').projectId, c.req.valid('param').id);
      return c.json(summaryView(source, await summarizeSource(store, source)), 200);
    },
  );
}
