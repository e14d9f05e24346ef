// /api/v1/incidents: the project's down periods, newest first, and acknowledging one.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { EVENT_KINDS } from '../../core/types.ts';
import { acknowledge } from '../../incidents/acknowledge.ts';
import type { Incident, Store } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import { PageQuery } from './check-schemas.ts';
import { iso, isoOrNull } from './check-view.ts';
import { ownedCheck } from './checks.ts';
import { ErrorResponses } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const IncidentSchema = z
  .object({
    id: z.number(),
    check: z.object({ id: z.string(), name: z.string() }),
    event: z.enum(EVENT_KINDS).openapi({ description: 'what opened it' }),
    reason: z.string(),
    opened_at: z.string(),
    resolved_at: z.string().nullable().openapi({ description: 'null while it is open' }),
    duration_ms: z.number().openapi({ description: 'so far, for an open one' }),
    acknowledged_at: z.string().nullable(),
    acknowledged_by: z
      .string()
      .nullable()
      .openapi({ description: 'a user’s email, or "api key <prefix>"', example: 'ops@example.com' }),
  })
  .openapi('Incident');

const ListQuery = PageQuery.extend({
  open: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .openapi({ description: 'true: only unresolved ones' }),
  check_id: z.string().optional().openapi({ description: 'only this check’s incidents' }),
});

const IncidentIdParam = z.object({
  id: z
    .string()
    .openapi({ param: { name: 'id', in: 'path' }, description: 'the incident id', example: '42' }),
});

type IncidentView = z.infer<typeof IncidentSchema>;

async function views(store: Store, incidents: Incident[], now: number): Promise<IncidentView[]> {
  const names = new Map<string, string>();
  for (const i of incidents) {
    if (!names.has(i.checkId)) names.set(i.checkId, (await store.getCheck(i.checkId))?.name ?? '');
  }
  return incidents.map((i) => ({
    id: i.id,
    check: { id: i.checkId, name: names.get(i.checkId) ?? '' },
    event: i.event,
    reason: i.reason,
    opened_at: iso(i.openedAt),
    resolved_at: isoOrNull(i.resolvedAt),
    duration_ms: (i.resolvedAt ?? now) - i.openedAt,
    acknowledged_at: isoOrNull(i.acknowledgedAt),
    acknowledged_by: i.acknowledgedBy,
  }));
}

export function incidentRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  const { store, now } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/incidents',
      summary: 'The project’s incidents (down periods), newest first',
      request: { query: ListQuery },
      responses: {
        200: {
          description: 'a page of incidents',
          content: {
            'application/json': {
              schema: z.object({ incidents: z.array(IncidentSchema), next_before: z.number().nullable() }),
            },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const projectId = c.get('apiKey').projectId;
      const q = c.req.valid('query');
      const checkId =
        q.check_id === undefined ? undefined : (await ownedCheck(store, projectId, q.check_id)).id;
      const rows = await store.listIncidents([projectId], {
        open: q.open === 'true',
        checkId,
        limit: q.limit,
        before: q.before,
      });
      const last = rows.at(-1);
      const next = rows.length === q.limit && last !== undefined && last.id > 1 ? last.id : null;
      return c.json({ incidents: await views(store, rows, now()), next_before: next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/incidents/{id}/acknowledge',
      summary: 'Acknowledge an open incident (the first acknowledgement stands)',
      request: { params: IncidentIdParam },
      responses: {
        200: { description: 'the incident', content: { 'application/json': { schema: IncidentSchema } } },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const raw = c.req.valid('param').id;
      const found = /^\d{1,15}$/.test(raw) ? await store.getIncident(Number(raw)) : null;
      if (!found || found.projectId !== key.projectId) throw notFound('incident');
      const { outcome, incident } = await acknowledge(
        store,
        deps.bus,
        found,
        { by: `api key ${key.prefix}`, actor: apiActor(c, deps) },
        now(),
      );
      if (outcome === 'resolved') {
        throw new ApiError(
          409,
          'conflict',
          `incident ${found.id} is resolved; only open incidents can be acknowledged`,
        );
      }
      const [view] = await views(store, [incident], now());
      return c.json(view!, 200);
    },
  );
}
