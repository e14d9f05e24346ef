import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { EVENT_KINDS } from '../../core/types.ts';
import type { Attempt, Notification } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { IdParam } from './check-schemas.ts';
import { iso, isoOrNull } from './check-view.ts';
import { ownedCheck } from './checks.ts';
import { ErrorResponses } from './openapi-common.ts';

const NotificationSchema = z
  .object({
    id: z.number(),
    flip_id: z.number(),
    channel_id: z.string(),
    event: z.enum(EVENT_KINDS),
    status: z.enum(['pending', 'delivered', 'failed']),
    claims: z.number().openapi({ description: 'how often a dispatcher took it up' }),
    next_attempt_at: z.string().nullable().openapi({ description: 'for a pending one' }),
    last_error: z.string().nullable(),
    created_at: z.string(),
    done_at: z.string().nullable(),
    attempts: z.array(
      z.object({
        at: z.string(),
        outcome: z.enum(['delivered', 'retry', 'failed']),
        error: z.string().nullable(),
        duration_ms: z.number(),
      }),
    ),
  })
  .openapi('Notification');

function view(n: Notification, attempts: Attempt[]): z.infer<typeof NotificationSchema> {
  return {
    id: n.id,
    flip_id: n.flipId,
    channel_id: n.channelId,
    event: n.event,
    status: n.status,
    claims: n.attempts,
    next_attempt_at: n.status === 'pending' ? iso(n.nextAttemptAt) : null,
    last_error: n.lastError,
    created_at: iso(n.createdAt),
    done_at: isoOrNull(n.doneAt),
    attempts: attempts.map((a) => ({
      at: iso(a.at)!,
      outcome: a.outcome,
      error: a.error,
      duration_ms: a.durationMs,
    })),
  };
}

/** The outbox as seen from one check: every alert owed for its flips and what became of it. */
export function notificationRoutes(app: OpenAPIHono<{ Variables: AuthVariables }>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks/{id}/notifications',
      summary: 'The alerts queued for the check’s flips, newest first, with every delivery attempt',
      request: {
        params: IdParam,
        query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      },
      responses: {
        200: {
          description: 'notifications',
          content: {
            'application/json': { schema: z.object({ notifications: z.array(NotificationSchema) }) },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const check = await ownedCheck(deps.store, c.get('apiKey').projectId, c.req.valid('param').id);
      const rows = await deps.store.listNotifications(check.id, c.req.valid('query').limit);
      const views = [];
      for (const n of rows) views.push(view(n, await deps.store.listAttempts(n.id)));
      return c.json({ notifications: views }, 200);
    },
  );
}
