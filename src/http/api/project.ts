// GET/PATCH /project: the settings of the API key's project.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { updateProject } from '../../projects/keys.ts';
import type { Project } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import { iso } from './check-view.ts';
import { ErrorResponses, jsonBody } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const ProjectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    silence_period: z
      .number()
      .openapi({ description: 'seconds: reminders about one check never come closer' }),
    created_at: z.string(),
  })
  .openapi('Project');

const ProjectUpdate = z
  .strictObject({
    silence_period: z
      .number()
      .int('must be a whole number of seconds')
      .min(60, 'must be at least 60 s')
      .max(7 * 86_400, 'must be at most 7 days (604800 s)'),
  })
  .partial()
  .openapi('ProjectUpdate');

const out = { content: { 'application/json': { schema: ProjectSchema } } };

const view = (p: Project) => ({
  id: p.id,
  name: p.name,
  silence_period: p.silencePeriod,
  created_at: iso(p.createdAt),
});

export function projectRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  async function project(id: string): Promise<Project> {
    const p = await deps.store.getProject(id);
    if (!p) throw new ApiError(401, 'unauthorized', 'the API key belongs to a deleted project');
    return p;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/project',
      summary: 'The API key’s project and its settings',
      responses: { 200: { description: 'the project', ...out }, ...ErrorResponses },
    }),
    async (c) => c.json(view(await project(c.get('apiKey').projectId)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/project',
      summary: 'Change the project’s settings',
      request: { body: jsonBody(ProjectUpdate) },
      responses: { 200: { description: 'the project', ...out }, ...ErrorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const updated = await deps.store.transaction(async (tx) => {
        const p = await tx.getProject(c.get('apiKey').projectId);
        if (!p) throw new ApiError(401, 'unauthorized', 'the API key belongs to a deleted project');
        const next = { ...p, silencePeriod: body.silence_period ?? p.silencePeriod };
        await updateProject(tx, p, next, deps.now(), apiActor(c, deps));
        return next;
      });
      return c.json(view(updated), 200);
    },
  );
}
