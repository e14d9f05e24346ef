// GET /api/v1/events and /api/v1/checks/{id}/events: live events as Server-Sent Events, for
// API clients (an API key, read-only is enough) and for the dashboard, whose EventSource can
// send no headers and so signs in with its session cookie.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { UUID_PATTERN } from '../../core/ids.ts';
import { EVENT_TYPES, type Subscription } from '../../events/bus.ts';
import type { Store } from '../../store/store.ts';
import { SESSION_COOKIE, sha256 } from '../../web/session.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { eventStream } from '../event-stream.ts';
import { type AuthDeps, type AuthVariables, apiKeyAuth } from '../middleware/api-key.ts';
import { ErrorSchema } from './openapi-common.ts';

export interface ViewerVariables {
  /** the projects whose events the caller may see */
  viewer: { projectIds: ReadonlySet<string> };
}

type Env = { Variables: AuthVariables & ViewerVariables };

/**
 * An API key when the request sends one (a wrong key is a 401, never a fallback to the
 * cookie), else a valid dashboard session: its user's projects. Safe for a GET that only
 * reads: another site cannot read the stream (no CORS) and a Lax cookie is not sent with
 * its subrequests anyway.
 */
export function keyOrSession(deps: AuthDeps): MiddlewareHandler<Env> {
  // the same check as every other API route; Env has the apiKey variable it sets
  const keyAuth = apiKeyAuth(deps) as unknown as MiddlewareHandler<Env>;
  return async function keyOrSession(c, next) {
    if (c.req.header('x-api-key') !== undefined || c.req.header('authorization') !== undefined) {
      return keyAuth(c, async () => {
        c.set('viewer', { projectIds: new Set([c.get('apiKey').projectId]) });
        await next();
      });
    }
    const projectIds = await sessionProjects(deps.store, getCookie(c, SESSION_COOKIE), deps.now());
    if (projectIds === null) {
      throw new ApiError(
        401,
        'unauthorized',
        'send an API key as "X-Api-Key: <key>" or "Authorization: Bearer <key>", or sign in to the dashboard',
      );
    }
    c.set('viewer', { projectIds });
    await next();
  };
}

async function sessionProjects(
  store: Store,
  token: string | undefined,
  now: number,
): Promise<Set<string> | null> {
  if (!token || token.length > 100) return null;
  const session = await store.getSession(await sha256(token));
  if (!session || session.expiresAt <= now || !(await store.getUser(session.userId))) return null;
  return new Set((await store.listMemberships(session.userId)).map((m) => m.projectId));
}

function sse(c: Context, deps: AppDeps, sub: Subscription): Response {
  // A browser's EventSource sends the header when it reconnects; the query is for clients
  // that cannot set headers on their first request.
  const lastEventId = c.req.header('last-event-id') ?? c.req.query('last_event_id') ?? null;
  // Hono answers HEAD by running GET and dropping the body uncancelled: no stream for it,
  // or its listener would stay until the queue bound ends it.
  const body =
    c.req.method === 'HEAD'
      ? null
      : eventStream(deps.bus, sub, { lastEventId, signal: streamSignal(c.req.raw.signal, deps.shutdown) });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    },
  });
}

const STREAM_DESCRIPTION = `An endless text/event-stream. It starts with \`retry: 3000\`; then each event is
\`id: <id>\\nevent: <type>\\ndata: <json>\\n\\n\`, the type one of ${EVENT_TYPES.join(', ')}. The data
is the event's fields (\`check\`: {id, name, status}, and per type: ping n, kind, exit_status;
flip from, to, reason; incident incident_id, reason, by) plus check_id, project_id and at (ISO 8601).
A comment line comes every 15 s. To resume, send the last id seen as the Last-Event-ID header
(or \`?last_event_id=\`): the missed events come first, in order; when they are no longer kept
an \`event: reset\` says to start over (reload). A client that reads too slowly is disconnected
and should resume the same way. Takes an API key (read-only is enough) or a dashboard session cookie.`;

const exampleData = { check: { id: '…', name: 'backup', status: 'up' }, n: 42, kind: 'success' };
const STREAM_EXAMPLE = `retry: 3000\n\nid: lx2k9a-17\nevent: ping\ndata: ${JSON.stringify(exampleData)}\n\n`;

const streamResponses = {
  200: {
    description: 'the event stream',
    content: { 'text/event-stream': { schema: z.string().openapi({ example: STREAM_EXAMPLE }) } },
  },
  401: { description: 'no API key or session', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'no such check', content: { 'application/json': { schema: ErrorSchema } } },
};

const resumeRequest = {
  query: z.object({
    last_event_id: z.string().optional().openapi({ description: 'the last event id seen' }),
  }),
  headers: z.object({ 'last-event-id': z.string().optional() }),
};
const security: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }, { session: [] }];

export function eventRoutes(app: OpenAPIHono<{ Variables: AuthVariables }>, deps: AppDeps): void {
  const auth = keyOrSession(deps);

  app.get('/events', auth, (c) => sse(c, deps, { projectIds: c.get('viewer').projectIds }));

  app.get('/checks/:id/events', auth, async (c) => {
    const id = c.req.param('id');
    const check = UUID_PATTERN.test(id) ? await deps.store.getCheck(id.toLowerCase()) : null;
    if (!check || !c.get('viewer').projectIds.has(check.projectId)) throw notFound('check');
    return sse(c, deps, { projectIds: new Set([check.projectId]), checkId: check.id });
  });

  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'the dashboard session, for the event streams only',
  });
  registry.registerPath({
    method: 'get',
    path: '/events',
    summary: 'Live events of every check the caller can see (Server-Sent Events)',
    description: STREAM_DESCRIPTION,
    security,
    request: resumeRequest,
    responses: streamResponses,
  });
  registry.registerPath({
    method: 'get',
    path: '/checks/{id}/events',
    summary: 'Live events of one check (Server-Sent Events)',
    description: STREAM_DESCRIPTION,
    security,
    request: {
      ...resumeRequest,
      params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }),
    },
    responses: streamResponses,
  });
}

/** Ends a stream when its client goes away or the server shuts down, whichever comes first. */
function streamSignal(client: AbortSignal, shutdown: AbortSignal | undefined): AbortSignal {
  return shutdown ? AbortSignal.any([client, shutdown]) : client;
}
