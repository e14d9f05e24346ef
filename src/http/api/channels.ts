import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { severityRank } from '../../core/routing.ts';
import { EVENT_KINDS, SEVERITIES } from '../../core/types.ts';
import { defaultCheckConfig, newCheck } from '../../ingest/new-check.ts';
import { alertPayload } from '../../ingest/queue-alerts.ts';
import { getNotifier, maskSecrets, mergeSecrets, notifiers } from '../../notifiers/registry.ts';
import type { Channel } from '../../store/store.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, notFound, validationError } from '../errors.ts';
import type { AuthVariables } from '../middleware/api-key.ts';
import { Tag } from './check-schemas.ts';
import { iso, isoOrNull } from './check-view.ts';
import { ErrorResponses, jsonBody } from './openapi-common.ts';

type Env = { Variables: AuthVariables };

const Events = z
  .array(z.enum(EVENT_KINDS))
  .min(1, 'take at least one event')
  .max(EVENT_KINDS.length)
  .refine((e) => new Set(e).size === e.length, 'list each event once')
  .openapi({ description: `which events it takes: ${EVENT_KINDS.join(', ')}` });
const DEFAULT_EVENTS: (typeof EVENT_KINDS)[number][] = ['down', 'failed', 'too_long', 'up'];
const Severity = z.enum(SEVERITIES);
const Rule = {
  events: Events,
  min_severity: Severity.openapi({
    description: 'the lowest check severity it takes (low < important < critical)',
  }),
  max_severity: Severity.openapi({ description: 'the highest check severity it takes' }),
  tags: z
    .array(Tag)
    .max(20, 'at most 20 tags')
    .openapi({ description: 'when not empty: only checks with at least one of these tags' }),
};
const severityOrder = (v: { min_severity?: string; max_severity?: string }) =>
  v.min_severity === undefined ||
  v.max_severity === undefined ||
  severityRank(v.min_severity as Channel['minSeverity']) <=
    severityRank(v.max_severity as Channel['maxSeverity']);
const SEVERITY_ORDER = { message: 'min_severity must not be above max_severity', path: ['min_severity'] };
const ConfigObject = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'settings of the channel kind' });

const ChannelCreate = z
  .strictObject({
    kind: z
      .string()
      .openapi({ example: 'webhook', description: `one of: ${Object.keys(notifiers).join(', ')}` }),
    name: z.string().trim().min(1).max(200),
    config: ConfigObject,
    events: Rule.events.default(DEFAULT_EVENTS),
    min_severity: Rule.min_severity.default('low'),
    max_severity: Rule.max_severity.default('critical'),
    tags: Rule.tags.default([]),
  })
  .refine(severityOrder, SEVERITY_ORDER)
  .openapi('ChannelCreate');

const ChannelUpdate = z
  .strictObject({ name: z.string().trim().min(1).max(200), config: ConfigObject, ...Rule })
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
  const notifier = getNotifier(kind);
  if (!notifier) {
    throw new ApiError(
      400,
      'invalid_request',
      `kind: unknown channel kind "${kind}"; use one of: ${Object.keys(notifiers).join(', ')}`,
    );
  }
  const parsed = notifier.configSchema.safeParse(config);
  if (!parsed.success) throw validationError(parsed.error, 'config');
  return parsed.data as Record<string, unknown>;
}

/** A config sent without a secret field keeps the old secret: leaving it out must not unsign a webhook. */
function keepSecrets(ch: Channel, config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  for (const field of getNotifier(ch.kind)?.secretFields ?? []) {
    if (!(field in out) && ch.config[field] !== undefined) out[field] = ch.config[field];
  }
  return out;
}

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
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
      if (getNotifier(body.kind)?.secretFields.includes('secret') && !config.secret)
        config.secret = randomSecret();
      const now = deps.now();
      const channel: Channel = {
        id: deps.newId(),
        projectId: key.projectId,
        kind: body.kind,
        name: body.name,
        config,
        events: body.events,
        minSeverity: body.min_severity,
        maxSeverity: body.max_severity,
        tags: body.tags,
        brokenReason: null,
        brokenAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.insertChannel(channel);
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
        ? validConfig(ch.kind, mergeSecrets(ch.kind, ch.config, keepSecrets(ch, body.config)))
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
      await store.updateChannel(updated);
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
      await store.deleteChannel(ch.id);
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
      const key = c.get('apiKey');
      const ch = await owned(key.projectId, c.req.valid('param').id);
      const project = await store.getProject(key.projectId);
      const now = deps.now();
      const sample = newCheck(
        '00000000-0000-4000-8000-000000000000',
        key.projectId,
        defaultCheckConfig('test-check'),
        now,
      );
      sample.name = 'Test check';
      const payload = alertPayload(
        'down',
        { ...sample, status: 'down', lastPingAt: now - 3_600_000 },
        { id: 0, from: 'up', to: 'down', at: now, reason: 'this is a test alert sent from vigil' },
        project?.name ?? '',
        deps.config.baseUrl,
        { test: true },
      );
      const result = await getNotifier(ch.kind)!.send(payload, ch.config, {
        http: deps.http,
        deliveryId: `test-${now.toString(36)}`,
        ...(deps.config.smtp ? { smtp: deps.config.smtp } : {}),
      });
      let updated = ch;
      if (result.outcome === 'delivered' && ch.brokenReason !== null) {
        updated = { ...ch, brokenReason: null, brokenAt: null, updatedAt: now };
        await store.updateChannel(updated);
      }
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
