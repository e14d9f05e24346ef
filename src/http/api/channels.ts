import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { channelKindProblem } from '../../capabilities.ts';
import {
  addChannel,
  ChannelName,
  DEFAULT_EVENTS,
  deleteChannel,
  fillSigningSecret,
  keepOmittedSecrets,
  newChannel,
  parseConfig,
  ChannelRule as Rule,
  SEVERITY_ORDER,
  saveChannel,
  sendTestAlert,
  severityOrder,
  unknownKindMessage,
} from '../../channels/channel-changes.ts';
import { getNotifier, maskSecrets, mergeSecrets, notifiers } from '../../notifiers/registry.ts';
import type { Channel } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, fieldError, notFound, validationError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { apiActor } from '../request-actor.ts';
import { iso, isoOrNull } from './check-view.ts';
import { ErrorResponses, jsonBody } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const ConfigObject = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'settings of the channel kind' });

const ChannelCreate = z
  .strictObject({
    kind: z
      .string()
      .openapi({ example: 'webhook', description: `one of: ${Object.keys(notifiers).join(', ')}` }),
    name: ChannelName,
    config: ConfigObject,
    events: Rule.events.default(DEFAULT_EVENTS),
    min_severity: Rule.min_severity.default('low'),
    max_severity: Rule.max_severity.default('critical'),
    tags: Rule.tags.default([]),
  })
  .refine(severityOrder, SEVERITY_ORDER)
  .openapi('ChannelCreate');

const ChannelUpdate = z
  .strictObject({ name: ChannelName, config: ConfigObject, ...Rule })
  .partial()
  .openapi('ChannelUpdate');

const ChannelSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    config: ConfigObject.openapi({ description: 'secrets are masked' }),
    ...Rule,
    broken: z.boolean(),
    broken_reason: z.string().nullable().openapi({ description: 'the provider’s answer that broke it' }),
    broken_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Channel');

const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const channelOut = { content: { 'application/json': { schema: ChannelSchema } } };

function view(ch: Channel, reveal = false): z.infer<typeof ChannelSchema> {
  return {
    id: ch.id,
    kind: ch.kind,
    name: ch.name,
    config: reveal ? ch.config : maskSecrets(ch.kind, ch.config),
    events: ch.events,
    min_severity: ch.minSeverity,
    max_severity: ch.maxSeverity,
    tags: ch.tags,
    broken: ch.brokenReason !== null,
    broken_reason: ch.brokenReason,
    broken_at: isoOrNull(ch.brokenAt),
    created_at: iso(ch.createdAt),
    updated_at: iso(ch.updatedAt),
  };
}

function validConfig(kind: string, config: Record<string, unknown>): Record<string, unknown> {
  if (!getNotifier(kind)) throw new ApiError(400, 'invalid_request', `kind: ${unknownKindMessage(kind)}`);
  const parsed = parseConfig(kind, config);
  if (!parsed.success) throw validationError(parsed.error, 'config');
  return parsed.data;
}

export function channelRoutes(app: OpenAPIHono<Env>, deps: AppDeps): void {
  const { store } = deps;

  async function owned(projectId: string, id: string): Promise<Channel> {
    const ch = id.length <= 64 ? await store.getChannel(id) : null;
    if (!ch || ch.projectId !== projectId) throw notFound('channel');
    return ch;
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/channels',
      summary: 'Add a channel. A webhook without a secret gets one, shown in full only in this answer.',
      request: { body: jsonBody(ChannelCreate) },
      responses: { 201: { description: 'created', ...channelOut }, ...ErrorResponses },
    }),
    async (c) => {
      const key = c.get('apiKey');
      const body = c.req.valid('json');
      const config = validConfig(body.kind, body.config);
      const unavailable = channelKindProblem(body.kind, deps.capabilities);
      if (unavailable !== null) throw fieldError('kind', unavailable);
      fillSigningSecret(body.kind, config);
      const channel = newChannel(
        {
          kind: body.kind,
          name: body.name,
          config,
          events: body.events,
          minSeverity: body.min_severity,
          maxSeverity: body.max_severity,
          tags: body.tags,
        },
        { id: deps.newId(), projectId: key.projectId, now: deps.now() },
      );
      await addChannel(store, channel, apiActor(c, deps));
      return c.json(view(channel, true), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/channels',
      summary: 'List channels (secrets masked)',
      responses: {
        200: {
          description: 'the channels',
          content: { 'application/json': { schema: z.object({ channels: z.array(ChannelSchema) }) } },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const channels = await store.listChannels(c.get('apiKey').projectId);
      return c.json({ channels: channels.map((ch) => view(ch)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/channels/{id}',
      summary: 'Get one channel (secrets masked)',
      request: { params: IdParam },
      responses: { 200: { description: 'the channel', ...channelOut }, ...ErrorResponses },
    }),
    async (c) => c.json(view(await owned(c.get('apiKey').projectId, c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/channels/{id}',
      summary: 'Change a channel. Masked secrets sent back keep their old value. Clears the broken state.',
      request: { params: IdParam, body: jsonBody(ChannelUpdate) },
      responses: { 200: { description: 'the channel', ...channelOut }, ...ErrorResponses },
    }),
    async (c) => {
      const ch = await owned(c.get('apiKey').projectId, c.req.valid('param').id);
      const body = c.req.valid('json');
      const config = body.config
        ? validConfig(ch.kind, mergeSecrets(ch.kind, ch.config, keepOmittedSecrets(ch, body.config)))
        : ch.config;
      const merged = {
        min_severity: body.min_severity ?? ch.minSeverity,
        max_severity: body.max_severity ?? ch.maxSeverity,
      };
      if (!severityOrder(merged))
        throw new ApiError(400, 'invalid_request', `min_severity: ${SEVERITY_ORDER.message}`);
      const updated: Channel = {
        ...ch,
        name: body.name ?? ch.name,
        events: body.events ?? ch.events,
        minSeverity: body.min_severity ?? ch.minSeverity,
        maxSeverity: body.max_severity ?? ch.maxSeverity,
        tags: body.tags ?? ch.tags,
        config,
        brokenReason: null,
        brokenAt: null,
        updatedAt: deps.now(),
      };
      await saveChannel(store, ch, updated, apiActor(c, deps));
      return c.json(view(updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/channels/{id}',
      summary: 'Delete a channel; alerts still queued for it are dropped as failed',
      request: { params: IdParam },
      responses: { 204: { description: 'deleted' }, ...ErrorResponses },
    }),
    async (c) => {
      const ch = await owned(c.get('apiKey').projectId, c.req.valid('param').id);
      await deleteChannel(store, ch, deps.now(), apiActor(c, deps));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/channels/{id}/test',
      summary: 'Send a test alert now and report what the provider answered',
      request: { params: IdParam },
      responses: {
        200: {
          description: 'what happened',
          content: {
            'application/json': {
              schema: z.object({
                outcome: z.enum(['delivered', 'retry', 'failed']),
                error: z.string().nullable(),
                channel: ChannelSchema,
              }),
            },
          },
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      const ch = await owned(c.get('apiKey').projectId, c.req.valid('param').id);
      const { result, channel: updated } = await sendTestAlert(deps, ch);
      return c.json(
        {
          outcome: result.outcome,
          error: result.outcome === 'delivered' ? null : result.error,
          channel: view(updated),
        },
        200,
      );
    },
  );
}
