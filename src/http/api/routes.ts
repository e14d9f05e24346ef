// GET /checks/:id/routes: which channels each kind of alert about a check would reach now, and why.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { holdAt } from '../../core/maintenance.ts';
import { explainRoutes } from '../../core/routing.ts';
import { EVENT_KINDS, SEVERITIES } from '../../core/types.ts';
import type { AppDeps } from '../deps.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { IdParam } from './check-schemas.ts';
import { iso } from './check-view.ts';
import { ownedCheck } from './checks.ts';
import { ErrorResponses } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const ChannelRef = z.object({ id: z.string(), name: z.string(), kind: z.string(), broken: z.boolean() });
const Decision = z.object({ routed: z.boolean(), why: z.string() });

const RoutesSchema = z
  .object({
    check: z.object({
      id: z.string(),
      name: z.string(),
      severity: z.enum(SEVERITIES),
      tags: z.array(z.string()),
      channels: z.array(z.string()),
    }),
    held: z
      .object({ maintenance_id: z.string(), name: z.string(), until: z.string() })
      .nullable()
      .openapi({ description: 'a maintenance window holding this check’s alerts right now' }),
    routes: z
      .record(z.enum(EVENT_KINDS), z.array(ChannelRef))
      .openapi({ description: 'event -> the channels an alert of that kind would be queued for' }),
    channels: z
      .array(
        ChannelRef.extend({
          broken_reason: z.string().nullable(),
          events: z.record(z.enum(EVENT_KINDS), Decision),
        }),
      )
      .openapi({ description: 'every channel of the project, with the decision per event and why' }),
    notes: z.array(z.string()),
  })
  .openapi('Routes');

export function routeRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks/{id}/routes',
      summary: 'Which channels a flip of this check would reach right now, and why',
      request: { params: IdParam },
      responses: {
        200: { description: 'the routes', content: { 'application/json': { schema: RoutesSchema } } },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const projectId = c.get('apiKey').projectId;
      const check = await ownedCheck(deps.store, projectId, c.req.valid('param').id);
      const [channels, windows] = await Promise.all([
        deps.store.listChannels(projectId),
        deps.store.listMaintenance(projectId),
      ]);
      const hold = holdAt(windows, check, deps.now());
      const ref = (ch: (typeof channels)[number]) => ({
        id: ch.id,
        name: ch.name,
        kind: ch.kind,
        broken: ch.brokenReason !== null,
      });
      const decisions = EVENT_KINDS.map((event) => [event, explainRoutes(event, check, channels)] as const);
      const routes = Object.fromEntries(
        decisions.map(([event, list]) => [event, list.filter((r) => r.routed).map((r) => ref(r.channel))]),
      ) as Record<(typeof EVENT_KINDS)[number], z.infer<typeof ChannelRef>[]>;
      const notes = [
        'a recovery (up) is sent only when the down alert before it went out',
        'late warnings go only to channels that list "late"',
      ];
      if (hold !== null) {
        notes.unshift(`alerts are held by maintenance window "${hold.window.name}" until ${iso(hold.until)}`);
      }
      const broken = channels.filter((ch) => ch.brokenReason !== null);
      if (broken.length > 0) {
        notes.push(
          `broken channels still get their alerts queued, and each fails with the reason until the channel is fixed: ${broken.map((ch) => ch.name).join(', ')}`,
        );
      }
      return c.json(
        {
          check: {
            id: check.id,
            name: check.name,
            severity: check.severity,
            tags: check.tags,
            channels: check.channels,
          },
          held:
            hold === null
              ? null
              : { maintenance_id: hold.window.id, name: hold.window.name, until: iso(hold.until) },
          routes,
          channels: channels.map((ch) => ({
            ...ref(ch),
            broken_reason: ch.brokenReason,
            events: Object.fromEntries(
              decisions.map(([event, list]) => {
                const r = list.find((d) => d.channel.id === ch.id)!;
                return [event, { routed: r.routed, why: r.why }];
              }),
            ) as Record<(typeof EVENT_KINDS)[number], z.infer<typeof Decision>>,
          })),
          notes,
        },
        200,
      );
    },
  );
}
