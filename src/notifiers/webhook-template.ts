// Webhook body and header templates: `{{placeholder}}` replaced by a value from the alert,
// encoded for where it lands (inside a JSON string, a form field, a header, or as is). A
// hand-written renderer on purpose: a template engine would bring loops, conditionals and
// escaping rules of its own for a job that is find-and-replace.
import { formatDuration } from '../core/schedule.ts';
import { type AlertMessage, describeAlert, plainText } from './message.ts';
import type { AlertPayload } from './notifier.ts';

/** How a value is written into the template. */
export type Encoding = 'json' | 'form' | 'raw' | 'header';

interface TemplateSource {
  payload: AlertPayload;
  message: AlertMessage;
  deliveryId: string | undefined;
}

const VALUES: Record<string, (s: TemplateSource) => string> = {
  'check.id': (s) => s.payload.check.id,
  'check.name': (s) => s.payload.check.name,
  'check.slug': (s) => s.payload.check.slug,
  'check.url': (s) => s.payload.check.url,
  'check.ping_url': (s) => s.payload.check.ping_url,
  'check.severity': (s) => s.payload.check.severity,
  'check.status': (s) => s.payload.check.status,
  'check.schedule': (s) => s.payload.check.schedule,
  'check.tags': (s) => s.payload.check.tags.join(', '),
  'check.last_ping_at': (s) => s.payload.check.last_ping_at ?? '',
  event: (s) => s.payload.event,
  title: (s) => s.message.title,
  summary: (s) => s.message.summary,
  text: (s) => plainText(s.message),
  tone: (s) => s.message.tone,
  color: (s) => s.message.color,
  'project.id': (s) => s.payload.project.id,
  'project.name': (s) => s.payload.project.name,
  'flip.at': (s) => s.payload.flip.at,
  'flip.from': (s) => s.payload.flip.from,
  'flip.to': (s) => s.payload.flip.to,
  'flip.reason': (s) => s.payload.flip.reason,
  downtime: (s) =>
    s.payload.event === 'up' && typeof s.payload.downtime_ms === 'number'
      ? formatDuration(s.payload.downtime_ms)
      : '',
  last_ping_body: (s) => s.payload.last_ping_body ?? '',
  delivery_id: (s) => s.deliveryId ?? '',
};

/** Every placeholder a template may use, in the order the docs list them. */
export const PLACEHOLDERS: readonly string[] = Object.keys(VALUES);

/** Placeholders whose values are plain ASCII by construction (ids, slugs, enums, timestamps,
 * URLs), so they can go into a header value; names and messages could hold line breaks or
 * characters a header cannot carry. */
export const HEADER_PLACEHOLDERS: readonly string[] = [
  'check.id',
  'check.slug',
  'check.url',
  'check.ping_url',
  'check.severity',
  'check.status',
  'event',
  'tone',
  'color',
  'project.id',
  'flip.at',
  'flip.from',
  'flip.to',
  'delivery_id',
];

// `{{name}}`, spaces inside the braces allowed; a lone `{{` without its `}}` stays literal
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names a template uses, in order of appearance. */
export function placeholdersIn(template: string): string[] {
  return Array.from(template.matchAll(PLACEHOLDER), (match) => match[1]!);
}

/** Why a template cannot be used, or undefined when every placeholder is known (and allowed
 * in a header, for header templates). */
export function templateProblem(template: string, where: 'body' | 'header'): string | undefined {
  const allowed = where === 'header' ? HEADER_PLACEHOLDERS : PLACEHOLDERS;
  for (const name of placeholdersIn(template)) {
    if (allowed.includes(name)) continue;
    if (where === 'header' && PLACEHOLDERS.includes(name)) {
      return `placeholder {{${name}}} cannot be used in a header value (it may hold characters headers cannot carry); in headers use one of: ${HEADER_PLACEHOLDERS.join(', ')}`;
    }
    return `unknown placeholder {{${name}}}; use one of: ${PLACEHOLDERS.join(', ')}`;
  }
  return undefined;
}

/** The encoding for a body of this content type: JSON for application/json and any +json type,
 * form encoding for application/x-www-form-urlencoded, values as they are otherwise. */
export function bodyEncoding(contentType: string): Encoding {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (/^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/.test(type)) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return 'raw';
}

/** A function giving each placeholder's value for one alert, computed on first use. */
export function valuesFor(
  payload: AlertPayload,
  deliveryId: string | undefined,
): (name: string) => string | undefined {
  let source: TemplateSource | undefined;
  return (name) => {
    const value = Object.hasOwn(VALUES, name) ? VALUES[name] : undefined;
    if (value === undefined) return undefined;
    source ??= { payload, message: describeAlert(payload), deliveryId };
    return value(source);
  };
}

/**
 * The template with each placeholder replaced by its encoded value. In JSON the value is
 * escaped as the inside of a JSON string, without quotes: the template puts the quotes
 * around it, `{"text": "{{title}}"}`. An unknown placeholder is left as it is (templates are
 * checked when saved, so this only happens to a template stored by an older version).
 */
export function renderTemplate(
  template: string,
  encoding: Encoding,
  value: (name: string) => string | undefined,
): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = value(name);
    return v === undefined ? whole : encode(v, encoding);
  });
}

function encode(value: string, encoding: Encoding): string {
  switch (encoding) {
    case 'json':
      return JSON.stringify(value).slice(1, -1);
    case 'form':
      // URLSearchParams writes the application/x-www-form-urlencoded form (spaces as "+")
      return new URLSearchParams([['', value]]).toString().slice(1);
    case 'header':
      // header placeholders are ASCII by construction; this only keeps a surprise from
      // turning into a header fetch refuses or one split in two
      return value.replace(/[^\x20-\x7e]/g, '?');
    case 'raw':
      return value;
  }
}

/**
 * Why a JSON template does not render to valid JSON, or undefined when it does. Rendered with
 * every value set to one holding a quote, a backslash and a line break: a placeholder outside
 * a JSON string then always breaks the document, whatever the real values turn out to be.
 */
export function jsonTemplateProblem(template: string): string | undefined {
  const rendered = renderTemplate(template, 'json', () => 'a "quoted" \\ value\non two lines');
  try {
    JSON.parse(rendered);
    return undefined;
  } catch (err) {
    return `does not render to valid JSON (${(err as Error).message}); put each placeholder inside a JSON string, e.g. {"text": "{{title}}"}`;
  }
}
