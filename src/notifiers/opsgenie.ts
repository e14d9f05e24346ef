// Opsgenie Alert API: problems create an alert, recoveries close it. Every alert of a check has
// the same alias, which Opsgenie uses to de-duplicate (a reminder raises the count of the open
// alert) and by which the close request finds it. EU accounts set api_url to the EU endpoint.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, tail, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

export const OPSGENIE_API = 'https://api.opsgenie.com';

// Opsgenie's documented field limits
export const MESSAGE_LIMIT = 130;
export const DESCRIPTION_LIMIT = 15_000;
const ALIAS_LIMIT = 512;
const ENTITY_LIMIT = 512;
const TAGS_MAX = 20;
const TAG_CHARS = 50;
/** all keys and values of `details` together */
const DETAILS_LIMIT = 8000;
const RESPONDERS_MAX = 50;

export type OpsgeniePriority = 'P1' | 'P2' | 'P3' | 'P4' | 'P5';

const PROBLEM_PRIORITY: Record<string, OpsgeniePriority> = { critical: 'P1', important: 'P2', low: 'P3' };
const LATE_PRIORITY: Record<string, OpsgeniePriority> = { critical: 'P3', important: 'P4', low: 'P5' };

const name = z.string().trim().min(1).max(100);
/** Who is notified: a team, user, escalation or schedule, by id or by name (user: username). */
const responder = z.union([
  z.object({ type: z.enum(['team', 'escalation', 'schedule']), id: name }).strict(),
  z.object({ type: z.enum(['team', 'escalation', 'schedule']), name }).strict(),
  z.object({ type: z.literal('user'), id: name }).strict(),
  z.object({ type: z.literal('user'), username: name }).strict(),
]);

export const opsgenieConfigSchema = z
  .object({
    /** the key of an "API" integration (Settings → Integrations), sent as `GenieKey` */
    api_key: secret(128),
    /** https://api.eu.opsgenie.com for accounts in the EU region */
    api_url: baseUrl(OPSGENIE_API),
    responders: z.array(responder).max(RESPONDERS_MAX).optional(),
    /** added to the check's own tags */
    tags: z.array(z.string().trim().min(1).max(TAG_CHARS)).max(TAGS_MAX).optional(),
  })
  .strict();

export type OpsgenieConfig = z.output<typeof opsgenieConfigSchema>;

export const opsgenie: Notifier<OpsgenieConfig> = {
  kind: 'opsgenie',
  configSchema: opsgenieConfigSchema,
  secretFields: ['api_key'],

  async send(payload, config, { http }) {
    const base = `${config.api_url ?? OPSGENIE_API}/v2/alerts`;
    const headers = { Authorization: `GenieKey ${config.api_key}` };
    if (payload.event === 'up') {
      const url = `${base}/${encodeURIComponent(alias(payload))}/close?identifierType=alias`;
      return deliver(http, url, jsonRequest(closeRequest(payload), headers), readAnswer);
    }
    return deliver(http, base, jsonRequest(createRequest(payload, config), headers), readAnswer);
  },
};

/** A check's alias. Test alerts get one of their own per test, so they never touch a real alert. */
export function alias(p: AlertPayload): string {
  const key = p.test ? `vigil-test-${p.check.id}-${Date.parse(p.flip.at)}` : `vigil-${p.check.id}`;
  return key.slice(0, ALIAS_LIMIT);
}

export function opsgeniePriority(p: AlertPayload): OpsgeniePriority {
  const table = p.event === 'late' ? LATE_PRIORITY : PROBLEM_PRIORITY;
  return table[p.check.severity] ?? 'P3';
}

export function createRequest(p: AlertPayload, config: OpsgenieConfig): Record<string, unknown> {
  const m = describeAlert(p);
  const lines = [m.summary, '', ...m.facts.map((f) => `${f.label}: ${f.value}`), '', m.link];
  if (m.bodyTail !== null) {
    const room = DESCRIPTION_LIMIT - lines.join('\n').length - 30;
    lines.push('', 'Last ping body (tail):', tail(m.bodyTail, Math.max(0, room)));
  }
  const tags = [...new Set([...(config.tags ?? []), ...p.check.tags])]
    .map((t) => truncate(t, TAG_CHARS))
    .slice(0, TAGS_MAX);
  return {
    message: truncate(m.title, MESSAGE_LIMIT),
    alias: alias(p),
    description: truncate(lines.join('\n'), DESCRIPTION_LIMIT),
    priority: opsgeniePriority(p),
    entity: truncate(p.check.name, ENTITY_LIMIT),
    source: 'vigil',
    ...(tags.length > 0 ? { tags } : {}),
    details: details(m, p.event),
    ...(config.responders && config.responders.length > 0 ? { responders: config.responders } : {}),
  };
}

export function closeRequest(p: AlertPayload): Record<string, unknown> {
  const m = describeAlert(p);
  const downFor = m.facts.find((f) => f.label === 'Down for');
  const note = downFor ? `${m.title} after ${downFor.value}.` : `${m.title}.`;
  return { source: 'vigil', note: truncate(`${note} ${m.link}`, 25_000) };
}

/** Key/value pairs shown as the alert's extra properties, within Opsgenie's 8000-character cap. */
function details(m: AlertMessage, event: string): Record<string, string> {
  const pairs: [string, string][] = [
    ...m.facts.map((f): [string, string] => [f.label, f.value]),
    ['Event', event],
    ['Check', m.link],
  ];
  const out: Record<string, string> = {};
  let used = 0;
  for (const [key, value] of pairs) {
    const cut = truncate(value, 1000);
    if (used + key.length + cut.length > DETAILS_LIMIT) break;
    out[key] = cut;
    used += key.length + cut.length;
  }
  return out;
}

/**
 * Opsgenie answers 202 `{ result: "Request will be processed", requestId }` (the work itself is
 * asynchronous), and errors as `{ message, errors?: { field: problem }, requestId }`.
 */
function readAnswer(res: HttpResponse): SendResult | undefined {
  const answer = parseJson(res) as { message?: unknown; errors?: unknown; requestId?: unknown } | undefined;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const base = classifyResponse(res);
  if (base.outcome === 'delivered') {
    const id = answer.requestId;
    return { outcome: 'delivered', detail: typeof id === 'string' ? `request ${id}` : base.detail };
  }
  const parts = [typeof answer.message === 'string' ? answer.message : `HTTP ${res.status}`];
  if (typeof answer.errors === 'object' && answer.errors !== null) {
    for (const [field, problem] of Object.entries(answer.errors)) parts.push(`${field}: ${String(problem)}`);
  }
  let error = `Opsgenie: ${truncate(parts.join('; '), 300)}`;
  if (res.status === 401 || res.status === 403) error += ' (check api_key, and api_url for EU accounts)';
  return { ...base, error };
}
