// POST /api/v1/checkins: a job reports on itself with its API key, in one call that can also
// create or update its check (config in the job's own code), then records the check-in as a
// ping through the same Ingestor as /ping, so both paths share one state machine.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Actor } from '../../audit/actor.ts';
import type { PingKind } from '../../core/types.ts';
import { createCheck, updateCheck } from '../../ingest/check-changes.ts';
import { parseClientTime } from '../../ingest/client-time.ts';
import type { Check } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import { CheckSchema, CheckUpdateSchema, ScheduleSchema, Slug } from './check-schemas.ts';
import { checkView } from './check-view.ts';
import { toPatch } from './checks.ts';
import { ErrorResponses, jsonBody } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const KINDS: Record<'in_progress' | 'ok' | 'error', PingKind> = {
  in_progress: 'start',
  ok: 'success',
  error: 'fail',
};

const CheckinConfig = CheckUpdateSchema.pick({
  name: true,
  max_runtime: true,
  failure_threshold: true,
  severity: true,
  tags: true,
  description: true,
})
  .extend({ schedule: ScheduleSchema })
  .openapi('CheckinConfig', {
    description: 'creates the check, or updates it, before the check-in; fields left out stay as they are',
  });

function checkinBody(messageLimit: number) {
  return z
    .strictObject({
      slug: Slug,
      status: z.enum(['in_progress', 'ok', 'error']).openapi({
        description: 'in_progress starts a run; ok and error end it (like /start, success and /fail pings)',
      }),
      run_id: z
        .uuid('must be a UUID')
        .optional()
        .openapi({ description: 'ties the end of a run to its start when runs overlap' }),
      duration: z
        .number()
        .min(0, 'must be at least 0 ms')
        .max(31_536_000_000, 'must be at most 1 year')
        .optional()
        .openapi({ description: 'ms the run took; used when no in_progress check-in started it' }),
      message: z
        .string()
        .refine(
          (m) => Buffer.byteLength(m) <= messageLimit,
          `must be at most ${messageLimit} bytes (the ping body limit)`,
        )
        .optional()
        .openapi({ description: 'stored like a ping body (e.g. the end of the job’s log)' }),
      config: CheckinConfig.optional(),
      sent_at: z
        .union([z.number(), z.string().max(64)])
        .refine(
          (v) => parseClientTime(v) !== null,
          'must be Unix seconds, Unix milliseconds or an RFC 3339 time',
        )
        .optional()
        .openapi({
          description:
            'when the job sent it, by its own clock: shown as the ping’s skew_ms, never used for deadlines',
        }),
    })
    .refine((b) => b.duration === undefined || b.status !== 'in_progress', {
      message: 'a duration goes with status "ok" or "error", not "in_progress"',
      path: ['duration'],
    })
    .openapi('Checkin');
}

const CheckinResult = z
  .object({
    check: CheckSchema,
    status: z.enum(['recorded', 'ignored']).openapi({
      description: '"ignored": the check took no notice (e.g. it is paused)',
    }),
  })
  .openapi('CheckinResult');

export function checkinRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  const { store } = deps;
  const out = { content: { 'application/json': { schema: CheckinResult } } };

  /** The check by slug, created or updated first when the check-in carries its config. */
  async function target(
    projectId: string,
    slug: string,
    config: z.infer<typeof CheckinConfig> | undefined,
    actor: Actor,
  ): Promise<{ check: Check; created: boolean }> {
    if (config === undefined) {
      const check = await store.getCheckBySlug(projectId, slug);
      if (!check) {
        throw new ApiError(
          404,
          'not_found',
          `no check with slug "${slug}" in this project (send config to create it)`,
        );
      }
      return { check, created: false };
    }
    const patch = { ...toPatch(config), slug };
    const now = deps.now();
    const result = await store.transaction(async (tx) => {
      const match = await tx.getCheckBySlug(projectId, slug);
      if (match) return { check: await updateCheck(tx, match, patch, now, actor), created: false };
      return {
        check: await createCheck(tx, projectId, patch, { id: deps.newId(), now }, actor),
        created: true,
      };
    });
    deps.onCommitted({ check: result.check, flipId: null, queued: 0 });
    return result;
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/checkins',
      summary: 'Report a run of a job by slug, creating or updating its check when config is sent',
      request: { body: jsonBody(checkinBody(deps.config.pingBodyLimit)) },
      responses: {
        200: { description: 'recorded', ...out },
        201: { description: 'the check was created, then the check-in recorded', ...out },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const body = c.req.valid('json');
      const { check, created } = await target(key.projectId, body.slug, body.config, apiActor(c, deps));
      const kind = KINDS[body.status];
      const outcome = await deps.ingestor.submit({
        target: { checkId: check.id },
        kind,
        runId: body.run_id?.toLowerCase() ?? null,
        method: 'POST',
        source: deps.clientAddress(c),
        userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
        body: body.message ?? null,
        truncated: false,
        at: deps.now(),
        clientAt: parseClientTime(body.sent_at),
        ...(body.duration !== undefined && kind !== 'start' ? { durationMs: Math.round(body.duration) } : {}),
      });
      // deleted between the upsert and the ping
      if (outcome.result === 'not-found')
        throw new ApiError(404, 'not_found', `no check with slug "${body.slug}"`);
      const project = await store.getProject(key.projectId);
      if (!project) throw new ApiError(401, 'unauthorized', 'the API key belongs to a deleted project');
      const answer = {
        check: checkView(outcome.check, project, deps.config.baseUrl),
        status: outcome.result === 'ok' ? ('recorded' as const) : ('ignored' as const),
      };
      return created ? c.json(answer, 201) : c.json(answer, 200);
    },
  );
}
