// GET /api/v1/audit: the project's audit log, newest first. It names people (emails, key names,
// addresses), so only read-write keys read it, as only they can make the changes it records.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { AUDIT_ACTIONS, TARGET_KINDS } from '../../audit/audit-log.ts';
import { isAuditCursor } from '../../store/audit-rows.ts';
import { ACTOR_KINDS, type AuditEntry } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { iso } from './check-view.ts';
import { ErrorResponses } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const time = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 time with a timezone, e.g. 2026-03-01T02:00:00Z' })
  .optional();

const AuditQuery = z.object({
  target_kind: z.enum(TARGET_KINDS).optional().openapi({ description: 'only changes to this kind of thing' }),
  target_id: z.string().max(200).optional().openapi({ description: 'only changes to this one (its id)' }),
  action: z.enum(AUDIT_ACTIONS).optional(),
  since: time.openapi({ description: 'only changes at or after this time' }),
  until: time.openapi({ description: 'only changes before this time' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(500).optional().openapi({ description: 'next_cursor from the previous page' }),
});

const FieldChangeSchema = z
  .object({
    from: z.unknown().optional(),
    to: z.unknown().optional(),
    hidden: z.enum(['secret', 'too_long']).optional().openapi({
      description: 'the field changed, but its values are not kept: a secret, or longer than 500 characters',
    }),
  })
  .openapi('FieldChange');

export const AuditEntrySchema = z
  .object({
    id: z.number(),
    at: z.string(),
    actor: z.object({
      kind: z.enum(ACTOR_KINDS).openapi({
        description:
          'api_key, user (the dashboard), cli (vigil on the server), system (vigil itself), source (a sync), ping (?create=1)',
      }),
      id: z.string().nullable().openapi({ description: 'the key’s, user’s or source’s id' }),
      label: z.string().openapi({ example: 'deploy (vgl_AbCdEfGh…)' }),
      address: z.string().nullable().openapi({ description: 'the client’s address, for changes over HTTP' }),
    }),
    action: z.enum(AUDIT_ACTIONS),
    target: z.object({
      kind: z.enum(TARGET_KINDS),
      id: z.string(),
      name: z.string().openapi({ description: 'as it was then' }),
    }),
    changes: z
      .record(z.string(), FieldChangeSchema)
      .nullable()
      .openapi({ description: 'the fields an update changed, by their API names; null otherwise' }),
  })
  .openapi('AuditEntry');

function view(e: AuditEntry): z.infer<typeof AuditEntrySchema> {
  return {
    id: e.id,
    at: iso(e.at),
    actor: { kind: e.actorKind, id: e.actorId, label: e.actorLabel, address: e.address },
    action: e.action as z.infer<typeof AuditEntrySchema>['action'],
    target: { kind: e.targetKind as (typeof TARGET_KINDS)[number], id: e.targetId, name: e.targetName },
    changes: e.changes,
  };
}

export function auditRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      summary: 'Who changed what in the project, newest first (read-write keys only)',
      request: { query: AuditQuery },
      responses: {
        200: {
          description: 'a page of the audit log',
          content: {
            'application/json': {
              schema: z.object({ entries: z.array(AuditEntrySchema), next_cursor: z.string().nullable() }),
            },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const key = c.get('apiKey');
      if (key.readOnly) {
        throw new ApiError(
          403,
          'forbidden',
          'the audit log names people and addresses: read it with a read-write key',
        );
      }
      const q = c.req.valid('query');
      if (q.cursor !== undefined && !isAuditCursor(q.cursor)) {
        throw new ApiError(
          400,
          'invalid_request',
          'cursor: not a next_cursor from a previous page; omit it to start over',
        );
      }
      const { entries, next } = await deps.store.listAudit(
        key.projectId,
        {
          targetKind: q.target_kind,
          targetId: q.target_id,
          action: q.action,
          since: q.since === undefined ? undefined : Date.parse(q.since),
          until: q.until === undefined ? undefined : Date.parse(q.until),
        },
        { limit: q.limit, after: q.cursor },
      );
      return c.json({ entries: entries.map(view), next_cursor: next }, 200);
    },
  );
}
