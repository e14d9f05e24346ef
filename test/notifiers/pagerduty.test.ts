import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import {
  type PagerDutyConfig,
  pagerduty,
  pagerdutyConfigSchema,
  SUMMARY_LIMIT,
} from '../../src/notifiers/pagerduty.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const ROUTING_KEY = 'e93facc04764012d7bfb002500d5d1a6';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for events.pagerduty.com that refuses, as PagerDuty does, an invalid event. */
async function eventsApi(answer?: Handler): Promise<Receiver> {
  const r = await startReceiver(async (req, res) => {
    const errors = eventErrors(req);
    if (errors.length > 0)
      return reply(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
    if (answer) return answer(req, res);
    const { dedup_key } = JSON.parse(req.body.toString('utf8'));
    return reply(res, 202, { status: 'success', message: 'Event processed', dedup_key });
  });
  receivers.push(r);
  return r;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** The Events API v2 rules for an event (developer.pagerduty.com, PagerDuty/api-schema events-v2). */
function eventErrors(req: ReceivedRequest): string[] {
  if (req.method !== 'POST' || req.url !== '/v2/enqueue') return [`unexpected ${req.method} ${req.url}`];
  if (!String(req.headers['content-type']).startsWith('application/json')) return ['expected JSON'];
  const e = JSON.parse(req.body.toString('utf8'));
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32)
    errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action))
    errors.push("'event_action' is invalid");
  if (typeof e.dedup_key !== 'string' || e.dedup_key.length === 0 || e.dedup_key.length > 255)
    errors.push("'dedup_key' must be 1 to 255 characters");
  if (e.event_action !== 'trigger') return errors;
  const p = e.payload ?? {};
  if (typeof p.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024)
    errors.push("'payload.summary' must be 1 to 1024 characters");
  if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing");
  if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' is invalid");
  if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp)))
    errors.push("'payload.timestamp' is invalid");
  if (
    p.custom_details !== undefined &&
    (typeof p.custom_details !== 'object' || Array.isArray(p.custom_details))
  )
    errors.push("'payload.custom_details' must be an object");
  for (const link of e.links ?? [])
    if (!/^https?:\/\//.test(link.href)) errors.push("'links.href' must be a URL");
  if (e.client_url !== undefined && !/^https?:\/\//.test(e.client_url))
    errors.push("'client_url' must be a URL");
  return errors;
}

function config(input: Record<string, unknown> = {}): PagerDutyConfig {
  return pagerdutyConfigSchema.parse({ routing_key: ROUTING_KEY, ...input });
}

async function sendTo(r: Receiver, payload: AlertPayload) {
  const result = await pagerduty.send(payload, config({ api_url: r.url }), ctx);
  return { result, event: JSON.parse(r.requests.at(-1)!.body.toString('utf8')) };
}

describe('pagerduty.send', () => {
  it('triggers an alert with the facts, the reason and the ping body in custom_details', async () => {
    const r = await eventsApi();
    const { result, event } = await sendTo(r, samplePayload('failed'));
    expect(result).toEqual({ outcome: 'delivered', detail: `dedup_key vigil-${CHECK_ID}` });
    expect(event).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `vigil-${CHECK_ID}`,
      payload: {
        summary:
          '"nightly-backup" is DOWN: run failed: expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        source: 'nightly-backup',
        severity: 'critical',
        timestamp: '2026-03-01T10:05:00.000Z',
        component: 'nightly-backup',
        group: 'ops',
        class: 'failed',
        custom_details: {
          Reason: 'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
          Project: 'ops',
          Severity: 'critical',
          Schedule: 'every 1 hour',
          'Last ping': '1 hour 5 minutes ago',
          Tags: 'db, prod',
          'Last ping body (tail)': 'pg_dump: error: connection to server failed <&> "quoted"',
          Check: `https://vigil.example.com/checks/${CHECK_ID}`,
        },
      },
      links: [{ href: `https://vigil.example.com/checks/${CHECK_ID}`, text: 'Open the check in vigil' }],
      client: 'vigil',
      client_url: `https://vigil.example.com/checks/${CHECK_ID}`,
    });
  });

  it.each([
    ['down', 'critical', 'critical'],
    ['down', 'important', 'error'],
    ['too_long', 'low', 'warning'],
    ['late', 'critical', 'warning'],
    ['late', 'low', 'info'],
  ] as const)('maps a %s alert of a %s check to severity %s', async (kind, severity, expected) => {
    const r = await eventsApi();
    const p = samplePayload(kind);
    p.check.severity = severity;
    const { event } = await sendTo(r, p);
    expect(event.event_action).toBe('trigger');
    expect(event.payload.severity).toBe(expected);
  });

  it('resolves the recovery with the same dedup_key the problem triggered with', async () => {
    const r = await eventsApi();
    const down = await sendTo(r, samplePayload('down'));
    const up = await sendTo(r, samplePayload('up'));
    expect(up.result.outcome).toBe('delivered');
    expect(up.event).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: down.event.dedup_key,
    });
  });

  it('folds a reminder into the open alert (same dedup_key) and says it is one', async () => {
    const r = await eventsApi();
    const { event } = await sendTo(r, samplePayload('down', { reminder: 3 }));
    expect(event.dedup_key).toBe(`vigil-${CHECK_ID}`);
    expect(event.payload.summary).toMatch(/^Reminder #3: "nightly-backup" is still DOWN/);
    expect(event.payload.custom_details['Down since']).toBe('2026-03-01T10:05:00.000Z');
  });

  it('gives each test alert a dedup_key of its own, apart from real incidents', async () => {
    const r = await eventsApi();
    const first = await sendTo(r, samplePayload('down', { test: true }));
    const later = samplePayload('down', { test: true });
    later.flip.at = '2026-03-01T11:00:00.000Z';
    const second = await sendTo(r, later);
    expect(first.event.payload.summary).toMatch(/^Test alert: /);
    expect(first.event.dedup_key).not.toBe(`vigil-${CHECK_ID}`);
    expect(second.event.dedup_key).not.toBe(first.event.dedup_key);
  });

  it('keeps the summary within 1024 characters', async () => {
    const r = await eventsApi();
    const p = samplePayload('down');
    p.check.name = 'n'.repeat(3000);
    const { result, event } = await sendTo(r, p);
    expect(result.outcome).toBe('delivered');
    expect(event.payload.summary).toHaveLength(SUMMARY_LIMIT);
    expect(event.payload.summary.endsWith('…')).toBe(true);
  });

  it('fails permanently on 400, with what PagerDuty said', async () => {
    const r = await eventsApi((_req, res) =>
      reply(res, 400, {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'routing_key' is not a valid integration key"],
      }),
    );
    const { result } = await sendTo(r, samplePayload('down'));
    expect(result).toEqual({
      outcome: 'failed',
      error: "PagerDuty: Event object is invalid; 'routing_key' is not a valid integration key",
    });
  });

  it('retries on 429, after the Retry-After when there is one', async () => {
    const r = await eventsApi((_req, res) =>
      reply(
        res,
        429,
        { status: 'throttle event', message: 'Requests for this service are arriving too quickly' },
        { 'retry-after': '30' },
      ),
    );
    const { result } = await sendTo(r, samplePayload('down'));
    expect(result).toEqual({
      outcome: 'retry',
      error: 'PagerDuty: Requests for this service are arriving too quickly',
      retryAfterMs: 30_000,
    });
  });

  it('retries on 500', async () => {
    const r = await eventsApi((_req, res) => res.writeHead(500).end('oops'));
    const { result } = await sendTo(r, samplePayload('down'));
    expect(result).toEqual({ outcome: 'retry', error: 'HTTP 500: oops' });
  });
});

describe('pagerdutyConfigSchema', () => {
  it('defaults api_url to the public Events API', () => {
    expect(config()).toEqual({ routing_key: ROUTING_KEY, api_url: 'https://events.pagerduty.com' });
  });

  it.each([
    ['a routing key of 31 characters', { routing_key: ROUTING_KEY.slice(1) }, '32-character Integration Key'],
    [
      'a routing key with a dash',
      { routing_key: `${ROUTING_KEY.slice(1)}-` },
      '32-character Integration Key',
    ],
    ['a masked routing key', { routing_key: '••••d1a6' }, 'looks masked'],
    ['a non-http api_url', { api_url: 'events.pagerduty.com' }, 'URL'],
    ['an unknown key', { service_key: 'x' }, ''],
  ])('rejects %s', (_what, input, message) => {
    const result = pagerdutyConfigSchema.safeParse({ routing_key: ROUTING_KEY, ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('masks the routing key', () => {
    expect(pagerduty.secretFields).toEqual(['routing_key']);
  });
});
