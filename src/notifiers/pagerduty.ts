// PagerDuty Events API v2: problems trigger an alert, recoveries resolve it. Both carry the same
// dedup_key per check, so PagerDuty folds repeats (reminders, late then down) into one open alert
// and closes it by itself when the check is back up.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { describeAlert, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

export const PAGERDUTY_API = 'https://events.pagerduty.com';
/** PagerDuty's limit on payload.summary; it is what phone calls and SMS read out. */
export const SUMMARY_LIMIT = 1024;
/** PagerDuty's limit on dedup_key. */
const DEDUP_KEY_LIMIT = 255;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

const PROBLEM_SEVERITY: Record<string, PagerDutySeverity> = {
  critical: 'critical',
  important: 'error',
  low: 'warning',
};

export const pagerdutyConfigSchema = z
  .object({
    /** the Integration Key of an "Events API V2" integration on a service (or an event ruleset) */
    routing_key: secret(32).regex(
      /^[A-Za-z0-9]{32}$/,
      'must be the 32-character Integration Key of an Events API V2 integration',
    ),
    api_url: baseUrl(PAGERDUTY_API),
  })
  .strict();

export type PagerDutyConfig = z.output<typeof pagerdutyConfigSchema>;

export const pagerduty: Notifier<PagerDutyConfig> = {
  kind: 'pagerduty',
  configSchema: pagerdutyConfigSchema,
  secretFields: ['routing_key'],

  async send(payload, config, { http }) {
    const url = `${config.api_url ?? PAGERDUTY_API}/v2/enqueue`;
    return deliver(http, url, jsonRequest(pagerdutyEvent(payload, config.routing_key)), readAnswer);
  },
};

/**
 * The dedup_key of a check's alert. Test alerts get one of their own per test (flip.at differs),
 * so a test pages every time and never merges into, or resolves, a real incident.
 */
export function dedupKey(p: AlertPayload): string {
  const key = p.test ? `vigil-test-${p.check.id}-${Date.parse(p.flip.at)}` : `vigil-${p.check.id}`;
  return key.slice(0, DEDUP_KEY_LIMIT);
}

/** The severity of a trigger: by the check's severity for problems, one step down for late. */
export function pagerdutySeverity(p: AlertPayload): PagerDutySeverity {
  if (p.event === 'late') return p.check.severity === 'low' ? 'info' : 'warning';
  return PROBLEM_SEVERITY[p.check.severity] ?? 'error';
}

/** The Events API v2 body for an alert: a resolve for recoveries, a trigger for the rest. */
export function pagerdutyEvent(p: AlertPayload, routingKey: string): Record<string, unknown> {
  const dedup_key = dedupKey(p);
  if (p.event === 'up') return { routing_key: routingKey, event_action: 'resolve', dedup_key };
  const m = describeAlert(p);
  const details: Record<string, string> = { Reason: m.summary };
  for (const fact of m.facts) details[fact.label] = fact.value;
  if (p.check.tags.length > 0) details.Tags = p.check.tags.join(', ');
  if (m.bodyTail !== null) details['Last ping body (tail)'] = m.bodyTail;
  details.Check = m.link;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: truncate(`${m.title}: ${m.summary}`, SUMMARY_LIMIT),
      // the affected "system" is the job the check watches; vigil does not know its host
      source: truncate(p.check.name, 255),
      severity: pagerdutySeverity(p),
      timestamp: p.flip.at,
      component: truncate(p.check.slug, 255),
      group: truncate(p.project.name, 255),
      class: p.event,
      custom_details: details,
    },
    links: [{ href: m.link, text: 'Open the check in vigil' }],
    client: 'vigil',
    client_url: m.link,
  };
}

/**
 * PagerDuty answers 202 `{ status: "success", message, dedup_key }`, and 400 `{ status:
 * "invalid event", message, errors: [...] }` when the event or the routing key is wrong.
 */
function readAnswer(res: HttpResponse): SendResult | undefined {
  const answer = parseJson(res) as { message?: unknown; errors?: unknown; dedup_key?: unknown } | undefined;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const base = classifyResponse(res);
  if (base.outcome === 'delivered') {
    const key = answer.dedup_key;
    return { outcome: 'delivered', detail: typeof key === 'string' ? `dedup_key ${key}` : base.detail };
  }
  const parts = [typeof answer.message === 'string' ? answer.message : `HTTP ${res.status}`];
  if (Array.isArray(answer.errors)) parts.push(...answer.errors.filter((e) => typeof e === 'string'));
  return { ...base, error: `PagerDuty: ${truncate(parts.join('; '), 300)}` };
}
