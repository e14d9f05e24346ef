import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import {
  MESSAGE_LIMIT,
  type OpsgenieConfig,
  opsgenie,
  opsgenieConfigSchema,
} from '../../src/notifiers/opsgenie.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const API_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const CHECK_URL = `https://vigil.example.com/checks/${CHECK_ID}`;
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for api.opsgenie.com: checks the GenieKey and each request against the Alert API. */
async function alertApi(answer?: Handler): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (req.headers.authorization !== `GenieKey ${API_KEY}`)
      return reply(res, 401, { message: 'Could not authenticate', took: 0, requestId: 'r-auth' });
    const errors = requestErrors(req);
    if (Object.keys(errors).length > 0)
      return reply(res, 422, {
        message: 'Request body is not processable. Please check the errors.',
        errors,
      });
    if (answer) return answer(req, res);
    return reply(res, 202, { result: 'Request will be processed', took: 0.1, requestId: `r-${++n}` });
  });
  receivers.push(r);
  return r;
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const RESPONDER_TYPES = ['team', 'user', 'escalation', 'schedule'];

/** Create alert and close alert, as docs.opsgenie.com/docs/alert-api documents them. */
function requestErrors(req: ReceivedRequest): Record<string, string> {
  if (req.method !== 'POST') return { method: `expected POST, got ${req.method}` };
  if (!String(req.headers['content-type']).startsWith('application/json')) return { body: 'expected JSON' };
  const body = JSON.parse(req.body.toString('utf8'));
  const errors: Record<string, string> = {};
  const max = (field: string, limit: number, required = false) => {
    const value = body[field];
    if (value === undefined) {
      if (required) errors[field] = `${field} is required`;
    } else if (typeof value !== 'string' || value.length > limit || value === '')
      errors[field] = `${field} must be 1 to ${limit} characters`;
  };
  const close = /^\/v2\/alerts\/([^/?]+)\/close\?identifierType=alias$/.exec(req.url);
  if (close) {
    if (decodeURIComponent(close[1]!).length > 512) errors.identifier = 'alias is too long';
    max('source', 100);
    max('user', 100);
    max('note', 25_000);
    return errors;
  }
  if (req.url !== '/v2/alerts') return { url: `unexpected ${req.url}` };
  max('message', 130, true);
  max('alias', 512);
  max('description', 15_000);
  max('entity', 512);
  max('source', 100);
  if (body.priority !== undefined && !PRIORITIES.includes(body.priority))
    errors.priority = 'invalid priority';
  if (body.tags !== undefined) {
    const ok =
      Array.isArray(body.tags) &&
      body.tags.length <= 20 &&
      body.tags.every((t: unknown) => typeof t === 'string' && t.length <= 50);
    if (!ok) errors.tags = 'at most 20 tags of at most 50 characters';
  }
  if (body.details !== undefined) {
    const entries = Object.entries(body.details);
    const size = entries.reduce((sum, [k, v]) => sum + k.length + String(v).length, 0);
    if (entries.some(([, v]) => typeof v !== 'string') || size > 8000)
      errors.details = 'string values, 8000 characters in all';
  }
  for (const r of body.responders ?? []) {
    if (!RESPONDER_TYPES.includes(r.type) || !(r.id || r.name || r.username))
      errors.responders = 'invalid responder';
  }
  return errors;
}

function config(input: Record<string, unknown> = {}): OpsgenieConfig {
  return opsgenieConfigSchema.parse({ api_key: API_KEY, ...input });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}) {
  const result = await opsgenie.send(payload, config({ api_url: r.url, ...input }), ctx);
  const req = r.requests.at(-1)!;
  return { result, url: req.url, body: JSON.parse(req.body.toString('utf8')) };
}

describe('opsgenie.send', () => {
  it('creates an alert with the check alias, its priority, tags, facts and the ping body', async () => {
    const r = await alertApi();
    const { result, url, body } = await sendTo(r, samplePayload('failed'));
    expect(result).toEqual({ outcome: 'delivered', detail: 'request r-1' });
    expect(url).toBe('/v2/alerts');
    expect(body).toEqual({
      message: '"nightly-backup" is DOWN: run failed',
      alias: `vigil-${CHECK_ID}`,
      description: [
        'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        '',
        'Project: ops',
        'Severity: critical',
        'Schedule: every 1 hour',
        'Last ping: 1 hour 5 minutes ago',
        '',
        CHECK_URL,
        '',
        'Last ping body (tail):',
        'pg_dump: error: connection to server failed <&> "quoted"',
      ].join('\n'),
      priority: 'P1',
      entity: 'nightly-backup',
      source: 'vigil',
      tags: ['db', 'prod'],
      details: {
        Project: 'ops',
        Severity: 'critical',
        Schedule: 'every 1 hour',
        'Last ping': '1 hour 5 minutes ago',
        Event: 'failed',
        Check: CHECK_URL,
      },
    });
  });

  it.each([
    ['down', 'critical', 'P1'],
    ['down', 'important', 'P2'],
    ['down', 'low', 'P3'],
    ['late', 'critical', 'P3'],
    ['late', 'important', 'P4'],
    ['late', 'low', 'P5'],
  ] as const)('gives a %s alert of a %s check priority %s', async (kind, severity, priority) => {
    const r = await alertApi();
    const p = samplePayload(kind);
    p.check.severity = severity;
    expect((await sendTo(r, p)).body.priority).toBe(priority);
  });

  it('closes the alert by the alias it was created with when the check recovers', async () => {
    const r = await alertApi();
    const created = await sendTo(r, samplePayload('down'));
    const closed = await sendTo(r, samplePayload('up'));
    expect(closed.result).toEqual({ outcome: 'delivered', detail: 'request r-2' });
    expect(closed.url).toBe(
      `/v2/alerts/${encodeURIComponent(created.body.alias)}/close?identifierType=alias`,
    );
    expect(closed.body).toEqual({
      source: 'vigil',
      note: `"nightly-backup" is back UP after 1 hour 5 minutes. ${CHECK_URL}`,
    });
  });

  it('sends reminders under the same alias, so Opsgenie counts them on the open alert', async () => {
    const r = await alertApi();
    const { body } = await sendTo(r, samplePayload('down', { reminder: 2 }));
    expect(body.alias).toBe(`vigil-${CHECK_ID}`);
    expect(body.message).toBe('Reminder #2: "nightly-backup" is still DOWN');
    expect(body.details['Down since']).toBe('2026-03-01T10:05:00.000Z');
  });

  it('gives test alerts an alias of their own', async () => {
    const r = await alertApi();
    const { body } = await sendTo(r, samplePayload('down', { test: true }));
    expect(body.alias).toMatch(/^vigil-test-/);
    expect(body.message).toMatch(/^Test alert: /);
  });

  it('routes to the configured responders and adds the configured tags', async () => {
    const r = await alertApi();
    const responders = [
      { type: 'team', name: 'ops' },
      { type: 'user', username: 'ana@example.com' },
    ];
    const { body } = await sendTo(r, samplePayload('down'), { responders, tags: ['vigil', 'db'] });
    expect(body.responders).toEqual(responders);
    expect(body.tags).toEqual(['vigil', 'db', 'prod']);
  });

  it('cuts the message to 130 characters', async () => {
    const r = await alertApi();
    const p = samplePayload('down');
    p.check.name = 'x'.repeat(600);
    const { result, body } = await sendTo(r, p);
    expect(result.outcome).toBe('delivered');
    expect(body.message).toHaveLength(MESSAGE_LIMIT);
    expect(body.entity).toHaveLength(512);
  });

  it('fails permanently when Opsgenie does not know the key', async () => {
    const r = await alertApi();
    const result = await opsgenie.send(
      samplePayload('down'),
      config({ api_url: r.url, api_key: 'not-the-key' }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'failed',
      error: 'Opsgenie: Could not authenticate (check api_key, and api_url for EU accounts)',
    });
  });

  it('fails permanently on 422, naming the fields Opsgenie refused', async () => {
    const r = await alertApi((_req, res) =>
      reply(res, 422, {
        message: 'Request body is not processable.',
        errors: { responders: 'Team not found' },
      }),
    );
    const { result } = await sendTo(r, samplePayload('down'));
    expect(result).toEqual({
      outcome: 'failed',
      error: 'Opsgenie: Request body is not processable.; responders: Team not found',
    });
  });

  it('retries on 429, after the Retry-After when there is one', async () => {
    const r = await alertApi((_req, res) =>
      reply(res, 429, { message: 'You are making too many requests!' }, { 'retry-after': '12' }),
    );
    const { result } = await sendTo(r, samplePayload('down'));
    expect(result).toEqual({
      outcome: 'retry',
      error: 'Opsgenie: You are making too many requests!',
      retryAfterMs: 12_000,
    });
  });

  it('retries on 503', async () => {
    const r = await alertApi((_req, res) => res.writeHead(503).end());
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 503 (empty body)',
    });
  });
});

describe('opsgenieConfigSchema', () => {
  it('defaults api_url to the US endpoint and takes the EU one', () => {
    expect(config()).toEqual({ api_key: API_KEY, api_url: 'https://api.opsgenie.com' });
    expect(config({ api_url: 'https://api.eu.opsgenie.com' }).api_url).toBe('https://api.eu.opsgenie.com');
  });

  it.each([
    ['a masked key', { api_key: '••••c889' }, 'looks masked'],
    ['a responder of an unknown type', { responders: [{ type: 'group', name: 'ops' }] }, ''],
    ['a user responder by name', { responders: [{ type: 'user', name: 'ana' }] }, ''],
    ['a tag over 50 characters', { tags: ['t'.repeat(51)] }, ''],
    ['a non-http api_url', { api_url: 'api.opsgenie.com' }, 'URL'],
    ['an unknown key', { region: 'eu' }, ''],
  ])('rejects %s', (_what, input, message) => {
    const result = opsgenieConfigSchema.safeParse({ api_key: API_KEY, ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('masks the API key', () => {
    expect(opsgenie.secretFields).toEqual(['api_key']);
  });
});
