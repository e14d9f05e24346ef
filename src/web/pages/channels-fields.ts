// A channel kind's config form, read off its zod schema: the fields a plain form can hold
// (text, number, yes/no, a choice, a list of strings), each with whether it is required, its
// default and whether it is a secret. Fields it cannot hold (webhook headers, Opsgenie
// responders) are edited as JSON.
import { z } from 'zod';
import type { Notifier } from '../../notifiers/notifier.ts';
import { KIND_HINTS } from './channels-hints.ts';

export type FieldType = 'text' | 'textarea' | 'number' | 'boolean' | 'enum' | 'list';

export interface ConfigField {
  name: string;
  type: FieldType;
  required: boolean;
  /** the value used when the field is left out */
  default?: unknown;
  options?: string[];
  /** masked on read; never sent back to the browser */
  secret: boolean;
  /** a URL that may carry a token: shown masked past its origin */
  url: boolean;
  hint?: string;
}

export interface KindForm {
  fields: ConfigField[];
  /** config keys only the JSON box can hold */
  jsonOnly: string[];
}

type Shape = 'text' | 'number' | 'boolean' | 'enum' | 'list' | null;

/** What a plain form control can hold of `schema`, looking through wrappers and transforms. */
function shapeOf(schema: z.ZodType): { shape: Shape; options?: string[] } {
  if (schema instanceof z.ZodPipe) return shapeOf(schema.in as z.ZodType);
  // z.email() and the other string formats are strings too (email `to` and `from`)
  if (schema instanceof z.ZodString || schema instanceof z.ZodStringFormat) return { shape: 'text' };
  if (schema instanceof z.ZodNumber) return { shape: 'number' };
  if (schema instanceof z.ZodBoolean) return { shape: 'boolean' };
  if (schema instanceof z.ZodEnum) return { shape: 'enum', options: schema.options.map(String) };
  if (schema instanceof z.ZodArray)
    return shapeOf(schema.element as z.ZodType).shape === 'text' ? { shape: 'list' } : { shape: null };
  if (schema instanceof z.ZodUnion) {
    const shapes = new Set((schema.options as z.ZodType[]).map((o) => shapeOf(o).shape));
    // one value or a list of them (email `to`): a list; a number or a string (chat ids): text
    if (shapes.has('list') && [...shapes].every((s) => s === 'list' || s === 'text'))
      return { shape: 'list' };
    if ([...shapes].every((s) => s === 'text' || s === 'number')) return { shape: 'text' };
  }
  return { shape: null };
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; required: boolean; default?: unknown } {
  if (schema instanceof z.ZodOptional) return { ...unwrap(schema.unwrap() as z.ZodType), required: false };
  if (schema instanceof z.ZodDefault) {
    const inner = unwrap(schema.unwrap() as z.ZodType);
    return { ...inner, required: false, default: schema.def.defaultValue };
  }
  return { inner: schema, required: true };
}

const cache = new Map<string, KindForm>();

export function kindForm(notifier: Notifier<unknown>): KindForm {
  const hit = cache.get(notifier.kind);
  if (hit) return hit;
  const form: KindForm = { fields: [], jsonOnly: [] };
  const schema = notifier.configSchema as z.ZodType;
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
  const hints = Object.hasOwn(KIND_HINTS, notifier.kind) ? KIND_HINTS[notifier.kind] : undefined;
  for (const [name, field] of Object.entries(shape)) {
    const { inner, required, default: fallback } = unwrap(field);
    const { shape: type, options } = shapeOf(inner);
    if (type === null) {
      form.jsonOnly.push(name);
      continue;
    }
    form.fields.push({
      name,
      type: type === 'text' && hints?.multiline?.includes(name) ? 'textarea' : type,
      required,
      ...(fallback !== undefined ? { default: fallback } : {}),
      ...(options ? { options } : {}),
      secret: notifier.secretFields.includes(name),
      url: notifier.urlFields?.includes(name) ?? false,
      ...(hints?.fields[name] ? { hint: hints.fields[name] } : {}),
    });
  }
  cache.set(notifier.kind, form);
  return form;
}

/** A posted value as the config holds it; undefined when left empty. */
export function fieldValue(field: ConfigField, raw: string): unknown {
  const text = field.type === 'textarea' ? raw : raw.trim();
  if (field.type === 'boolean') return raw === 'true';
  if (text === '') return undefined;
  if (field.type === 'number') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (field.type === 'list') {
    return text
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  return text;
}

/** A config value as a form control shows it. */
export function shownValue(_field: ConfigField, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
