// Every kind of source vigil can read, and what the API needs of each: validating a config and
// keeping its secrets out of answers (the same masking channels use).
import { maskFields, restoreFields } from '../notifiers/secret-mask.ts';
import type { SourceKind } from '../store/store.ts';
import type { SourceAdapter } from './adapter.ts';
import { pgCronAdapter } from './pg-cron.ts';
import { supabaseAdapter } from './supabase.ts';

const ADAPTERS: Record<SourceKind, SourceAdapter> = {
  pg_cron: pgCronAdapter,
  supabase: supabaseAdapter,
};

export const SOURCE_KINDS = Object.keys(ADAPTERS) as SourceKind[];

export function isSourceKind(kind: string): kind is SourceKind {
  return Object.hasOwn(ADAPTERS, kind);
}

export function adapterFor(kind: SourceKind): SourceAdapter {
  const adapter = ADAPTERS[kind];
  if (!adapter) throw new Error(`unknown source kind "${kind}"`);
  return adapter;
}

/** The config as answers show it: every secret field masked. */
export function maskSourceConfig(kind: SourceKind, config: Record<string, unknown>): Record<string, unknown> {
  return maskFields(config, adapterFor(kind).secretFields);
}

/**
 * The config an update asks for: the stored one with `patch` laid over it, where a secret sent
 * back masked (as the client read it) keeps the stored secret. Validate it afterwards.
 */
export function mergeSourceConfig(
  kind: SourceKind,
  stored: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  return restoreFields(stored, { ...stored, ...patch }, adapterFor(kind).secretFields);
}

/**
 * `text` (a source's last error) with every secret of its config blanked out: drivers sometimes
 * quote what they were given, and an error is shown to anyone who can read the source.
 */
export function redactSecrets(kind: SourceKind, config: Record<string, unknown>, text: string): string {
  let out = text;
  for (const field of adapterFor(kind).secretFields) {
    for (const secret of secretParts(config[field])) out = out.split(secret).join('••••');
  }
  return out;
}

/** A secret and, for a URL, its password alone (a connection string's error may quote only that). */
function secretParts(value: unknown): string[] {
  if (typeof value !== 'string' || value.length < 4) return [];
  const parts = [value];
  try {
    const password = decodeURIComponent(new URL(value).password);
    if (password.length >= 4) parts.push(password);
  } catch {
    // not a URL
  }
  return parts;
}
