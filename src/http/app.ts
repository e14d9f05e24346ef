import { OpenAPIHono } from '@hono/zod-openapi';
import { Hono, type MiddlewareHandler } from 'hono';
import { routeGroup } from '../metrics/vigil-metrics.ts';
import { webApp } from '../web/app.ts';
import { auditRoutes } from './api/audit.ts';
import { channelRoutes } from './api/channels.ts';
import { checkinRoutes } from './api/checkins.ts';
import { checkRoutes } from './api/checks.ts';
import { eventRoutes } from './api/events.ts';
import { incidentRoutes } from './api/incidents.ts';
import { maintenanceRoutes } from './api/maintenance.ts';
import { notificationRoutes } from './api/notifications.ts';
import { projectRoutes } from './api/project.ts';
import { routeRoutes } from './api/routes.ts';
import { sourceRoutes } from './api/sources.ts';
import { mountCompatRoutes } from './compat/routes.ts';
import type { AppDeps } from './deps.ts';
import { ApiError, SEND_JSON, toErrorResponse, validationError } from './errors.ts';
import { metricsRoute } from './metrics-route.ts';
import { type AuthVariables, apiKeyAuth, requireWrite } from './middleware/api-key.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { observeRequests } from './middleware/observe.ts';
import { pingRoutes } from './ping-routes.ts';
import { loggablePath } from './request-id.ts';

const API_BODY_LIMIT = 64 * 1024;

/** Write requests must say they send JSON, so a form post gets a clear 415 rather than "name: required". */
function requireJson(): MiddlewareHandler {
  return async function requireJson(c, next) {
    const method = c.req.method;
    const sendsBody =
      (method === 'POST' || method === 'PUT' || method === 'PATCH') &&
      (Number(c.req.header('content-length') ?? 0) > 0 || c.req.header('transfer-encoding') !== undefined);
    if (sendsBody && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
      throw new ApiError(415, 'unsupported_media_type', SEND_JSON);
    }
    await next();
  };
}

export function apiApp(deps: AppDeps): OpenAPIHono<{ Variables: AuthVariables }> {
  const api = new OpenAPIHono<{ Variables: AuthVariables }>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target === 'json' ? '' : result.target);
    },
  });
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'vigil API',
      version: '1',
      description:
        'Checks, channels and their history. Authenticate with "X-Api-Key: <key>" or "Authorization: Bearer <key>".',
    },
    servers: [{ url: `${deps.config.baseUrl}/api/v1` }],
    security: [{ apiKey: [] }, { bearer: [] }],
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  api.use(
    '*',
    bodyLimit({
      maxSize: API_BODY_LIMIT,
      // Refused as it streams in, at 64 KB whatever Content-Length says. On Node the rest is read
      // and dropped for at most 500 ms and the socket closed (@hono/node-server): closing at once
      // would reset the connection before the client could read the 413.
      onError: () => {
        throw new ApiError(
          413,
          'payload_too_large',
          `the request body is larger than ${API_BODY_LIMIT / 1024} KB`,
        );
      },
    }),
  );
  // The event streams take an API key or a dashboard session cookie (a browser's EventSource
  // cannot send headers): registered before the key-only middleware, they answer first, like
  // the document; being in this app they keep its error shape and OpenAPI registry.
  eventRoutes(api, deps);
  // No exception for the OpenAPI document: its route, registered above, answers GET before
  // this runs. Skipping by path let `POST /openapi.json` and `GET /checks/openapi.json`
  // reach handlers without a key (500).
  api.use('*', apiKeyAuth(deps));
  api.use('*', requireWrite());
  api.use('*', requireJson());
  checkRoutes(api, deps);
  channelRoutes(api, deps);
  notificationRoutes(api, deps);
  maintenanceRoutes(api, deps);
  routeRoutes(api, deps);
  checkinRoutes(api, deps);
  projectRoutes(api, deps);
  incidentRoutes(api, deps);
  sourceRoutes(api, deps);
  auditRoutes(api, deps);
  // A known path with a method it does not take: say so, rather than "no route".
  const allowed: Record<string, string> = {
    '/checks': 'GET, POST',
    '/checks/by-slug/:slug': 'PUT',
    '/checkins': 'POST',
    '/checks/:id': 'GET, PATCH, DELETE',
    '/checks/:id/pause': 'POST',
    '/checks/:id/resume': 'POST',
    '/checks/:id/pings': 'GET',
    '/checks/:id/flips': 'GET',
    '/checks/:id/notifications': 'GET',
    '/channels': 'GET, POST',
    '/channels/:id': 'GET, PATCH, DELETE',
    '/channels/:id/test': 'POST',
    '/checks/:id/routes': 'GET',
    '/maintenance': 'GET, POST',
    '/maintenance/now': 'POST',
    '/maintenance/:id': 'GET, PATCH, DELETE',
    '/project': 'GET, PATCH',
    '/events': 'GET',
    '/checks/:id/events': 'GET',
    '/incidents': 'GET',
    '/incidents/:id/acknowledge': 'POST',
    '/sources': 'GET, POST',
    '/sources/:id': 'GET, PATCH, DELETE',
    '/sources/:id/sync': 'POST',
    '/sources/:id/summary': 'GET',
    '/audit': 'GET',
  };
  for (const [path, methods] of Object.entries(allowed)) {
    api.all(path, (c) => {
      c.header('Allow', methods);
      throw new ApiError(405, 'method_not_allowed', `${c.req.method} is not allowed here; use ${methods}`);
    });
  }
  return api;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((err, c) =>
    toErrorResponse(err, c, (e) =>
      deps.log(e, `unhandled error on ${c.req.method} ${loggablePath(c.req.path)}`, {
        req_id: c.get('requestId'),
      }),
    ),
  );
  const metrics = deps.metrics?.metrics;
  app.use(
    '*',
    observeRequests({
      ...(metrics ? { observe: (path, status, s) => metrics.observeHttp(routeGroup(path), status, s) } : {}),
      ...(deps.requestLog ? { log: deps.requestLog } : {}),
      remote: deps.clientAddress,
    }),
  );
  app.notFound((c) => c.text('not found', 404));

  app.route('/ping', pingRoutes(deps));
  app.route('/api/v1', apiApp(deps));
  // the APIs of the monitors vigil replaces, and /llms.txt
  mountCompatRoutes(app, deps);
  // Anything under /api/ no API answered is no route, said in the API's error shape here: the
  // dashboard's middleware below (form size limit, CSRF) would answer it in plain text.
  app.all('/api/*', (c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );

  app.all('/metrics', metricsRoute(deps.metrics));
  app.get('/healthz', async (c) => {
    const health = await deps.health();
    return c.json(health, health.ok ? 200 : 503);
  });
  app.route('/', webApp(deps));
  return app;
}
