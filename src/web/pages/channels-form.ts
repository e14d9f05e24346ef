// The add/edit channel form: reading it into a channel (config checked by the kind's schema,
// the rule by the API's rules) and showing it again with errors next to the fields. Secrets
// go out masked and never come back in full, not even on a form with errors.
import { z } from 'zod';
import {
  ChannelName,
  ChannelRule,
  parseConfig,
  SEVERITY_ORDER,
  severityOrder,
} from '../../channels/channel-changes.ts';
import { EVENT_KINDS, type EventKind, SEVERITIES, type Severity } from '../../core/types.ts';
import { validationError } from '../../http/errors.ts';
import type { Notifier } from '../../notifiers/notifier.ts';
import { maskSecrets, mergeSecrets } from '../../notifiers/registry.ts';
import type { Channel } from '../../store/store.ts';
import { type FieldErrors, type Form, splitList } from './alerting-common.tsx';
import { type ConfigField, fieldValue, kindForm, shownValue } from './channels-fields.ts';

/** What the form shows: every value as text, secrets only masked. */
export interface ChannelFormState {
  kind: string;
  name: string;
  values: Record<string, string>;
  json: string;
  events: string[];
  minSeverity: string;
  maxSeverity: string;
  tags: string;
  /** the stored secrets, masked, to say what leaving a field alone keeps */
  stored: Record<string, string>;
}

export interface ChannelInput {
  name: string;
  config: Record<string, unknown>;
  events: EventKind[];
  minSeverity: Severity;
  maxSeverity: Severity;
  tags: string[];
}

export const EVENT_LABELS: Record<EventKind, string> = {
  down: 'down: no ping in time',
  failed: 'failed: a run reported failure',
  too_long: 'too long: a run went past its limit',
  late: 'late: overdue, still within the grace',
  up: 'up: recovered',
};

const NOT_SENT_BACK = 'enter it again: secrets and URLs with tokens are not sent back to the browser';

const RuleSchema = z
  .object({
    events: ChannelRule.events,
    min_severity: ChannelRule.min_severity,
    max_severity: ChannelRule.max_severity,
    tags: ChannelRule.tags,
  })
  .refine(severityOrder, SEVERITY_ORDER);

const masked = (notifier: Notifier<unknown>, config: Record<string, unknown>) =>
  maskSecrets(notifier.kind, config);

function storedSecrets(notifier: Notifier<unknown>, ch: Channel | null): Record<string, string> {
  if (!ch) return {};
  const shown = masked(notifier, ch.config);
  const out: Record<string, string> = {};
  for (const f of kindForm(notifier).fields) {
    if ((f.secret || f.url) && shown[f.name] !== undefined) out[f.name] = shownValue(f, shown[f.name]);
  }
  return out;
}

/** The JSON box: the config keys only it can hold, masked. */
function jsonPart(notifier: Notifier<unknown>, config: Record<string, unknown>): string {
  const part = Object.fromEntries(
    kindForm(notifier).jsonOnly.flatMap((k) => (k in config ? [[k, config[k]]] : [])),
  );
  return Object.keys(part).length === 0 ? '' : JSON.stringify(masked(notifier, part), null, 2);
}

export function blankForm(notifier: Notifier<unknown>): ChannelFormState {
  return {
    kind: notifier.kind,
    name: '',
    values: {},
    json: '',
    events: ['down', 'failed', 'too_long', 'up'],
    minSeverity: 'low',
    maxSeverity: 'critical',
    tags: '',
    stored: {},
  };
}

export function formOf(notifier: Notifier<unknown>, ch: Channel): ChannelFormState {
  const shown = masked(notifier, ch.config);
  const values: Record<string, string> = {};
  for (const f of kindForm(notifier).fields) values[f.name] = shownValue(f, shown[f.name]);
  return {
    kind: ch.kind,
    name: ch.name,
    values,
    json: jsonPart(notifier, ch.config),
    events: [...ch.events],
    minSeverity: ch.minSeverity,
    maxSeverity: ch.maxSeverity,
    tags: ch.tags.join(', '),
    stored: storedSecrets(notifier, ch),
  };
}

function add(errors: FieldErrors, field: string, message: string): void {
  const list = errors[field] ?? [];
  if (!list.includes(message)) list.push(message);
  errors[field] = list;
}

/** Puts each schema issue next to the field it is about (the JSON box for fields only it holds). */
function configErrors(error: z.ZodError, fields: ConfigField[], form: Form, errors: FieldErrors): void {
  for (const d of validationError(error, 'config').details ?? []) {
    const [, key, ...rest] = d.field.split('.');
    const field = fields.find((f) => f.name === key);
    if (field) {
      const empty = form.one(`config.${field.name}`).trim() === '' && /received undefined/.test(d.message);
      add(
        errors,
        `config.${field.name}`,
        empty ? 'is required' : rest.length ? `${rest.join('.')}: ${d.message}` : d.message,
      );
    } else if (key === undefined && !d.message.startsWith('unknown field')) add(errors, 'config', d.message);
    else
      add(errors, 'config_json', key === undefined ? d.message : `${[key, ...rest].join('.')}: ${d.message}`);
  }
}

/**
 * Reads a posted channel form for `notifier`'s kind; `stored` is the channel being edited, whose
 * masked secrets sent back unchanged keep their values. An empty secret field removes it.
 */
export function readChannelForm(
  form: Form,
  notifier: Notifier<unknown>,
  stored: Channel | null,
): { ok: true; input: ChannelInput } | { ok: false; errors: FieldErrors; state: ChannelFormState } {
  const errors: FieldErrors = {};
  const { fields } = kindForm(notifier);
  const name = ChannelName.safeParse(form.one('name'));
  if (!name.success) for (const i of name.error.issues) add(errors, 'name', i.message);

  let config: Record<string, unknown> = {};
  for (const f of fields) {
    const value = fieldValue(f, form.one(`config.${f.name}`));
    if (value !== undefined) config[f.name] = value;
  }
  const jsonText = form.one('config_json').trim();
  let json: Record<string, unknown> = {};
  let jsonOk = true;
  if (jsonText !== '') {
    try {
      const parsed: unknown = JSON.parse(jsonText);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      json = parsed as Record<string, unknown>;
    } catch {
      jsonOk = false;
      add(errors, 'config_json', 'must be a JSON object, like {"headers": {"X-Token": "…"}}');
    }
  }
  config = mergeSecrets(notifier.kind, stored?.config ?? {}, { ...config, ...json });
  const parsedConfig = parseConfig(notifier.kind, config);
  if (!parsedConfig.success) configErrors(parsedConfig.error, fields, form, errors);

  const rule = RuleSchema.safeParse({
    events: form.all('events'),
    min_severity: form.one('min_severity'),
    max_severity: form.one('max_severity'),
    tags: splitList(form.one('tags')),
  });
  if (!rule.success) for (const i of rule.error.issues) add(errors, String(i.path[0] ?? 'events'), i.message);

  if (name.success && parsedConfig.success && rule.success && Object.keys(errors).length === 0) {
    return {
      ok: true,
      input: {
        name: name.data,
        config: parsedConfig.data,
        events: rule.data.events,
        minSeverity: rule.data.min_severity,
        maxSeverity: rule.data.max_severity,
        tags: rule.data.tags,
      },
    };
  }
  return { ok: false, errors, state: stateForRetry(form, notifier, stored, { json, jsonOk }, errors) };
}

/** The form as posted, except that secrets the browser sent that are not the stored ones are dropped. */
function stateForRetry(
  form: Form,
  notifier: Notifier<unknown>,
  stored: Channel | null,
  posted: { json: Record<string, unknown>; jsonOk: boolean },
  errors: FieldErrors,
): ChannelFormState {
  const storedShown = storedSecrets(notifier, stored);
  const values: Record<string, string> = {};
  for (const f of kindForm(notifier).fields) {
    const raw = form.one(`config.${f.name}`);
    values[f.name] = raw;
    if ((f.secret || f.url) && raw.trim() !== '' && raw !== storedShown[f.name]) {
      values[f.name] = '';
      add(errors, `config.${f.name}`, NOT_SENT_BACK);
    }
  }
  const sensitive = new Set([...notifier.secretFields, ...(notifier.urlFields ?? [])]);
  let json = '';
  if (!posted.jsonOk) {
    if (sensitive.size === 0) json = form.one('config_json');
    else add(errors, 'config_json', 'the text was not sent back, as it may hold secrets');
  } else {
    const keep: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(posted.json)) {
      if (!sensitive.has(key)) keep[key] = value;
      else {
        const restored = mergeSecrets(notifier.kind, stored?.config ?? {}, { [key]: value })[key];
        if (stored && JSON.stringify(restored) === JSON.stringify(stored.config[key])) keep[key] = restored;
        else add(errors, 'config_json', `${key}: ${NOT_SENT_BACK}`);
      }
    }
    if (Object.keys(keep).length > 0) json = JSON.stringify(masked(notifier, keep), null, 2);
  }
  return {
    kind: notifier.kind,
    name: form.one('name'),
    values,
    json,
    events: form.all('events').filter((e) => (EVENT_KINDS as readonly string[]).includes(e)),
    minSeverity: (SEVERITIES as readonly string[]).includes(form.one('min_severity'))
      ? form.one('min_severity')
      : 'low',
    maxSeverity: (SEVERITIES as readonly string[]).includes(form.one('max_severity'))
      ? form.one('max_severity')
      : 'critical',
    tags: form.one('tags'),
    stored: storedShown,
  };
}
