// Masking channel secrets for reads, and restoring them when a masked value comes back on an
// update. registry.ts applies these to each channel kind's `secretFields`.

export const MASK = '••••';

/** Long secrets keep their last 4 characters so an operator can tell two apart; short ones
 * keep nothing, since 4 characters of an 8-character token is too much of it. */
export function maskValue(secret: string): string {
  return secret.length >= 12 ? `${MASK}${secret.slice(-4)}` : MASK;
}

/** A copy of `config` with every string inside the named fields masked (a field may hold a
 * string, or an object/array of them, like webhook headers). Other fields are untouched. */
export function maskFields<C extends Record<string, unknown>>(config: C, fields: readonly string[]): C {
  return mapFields(config, fields, (value) => maskDeep(value));
}

/** A copy of `config` with `fn` applied to each named field it has. */
function mapFields<C extends Record<string, unknown>>(
  config: C,
  fields: readonly string[],
  fn: (value: unknown, field: string) => unknown,
): C {
  const out: Record<string, unknown> = { ...config };
  for (const field of fields) {
    if (Object.hasOwn(out, field)) out[field] = fn(out[field], field);
  }
  return out as C;
}

/**
 * `next` with each masked value inside the named fields replaced by the old secret it masks,
 * so a client can send back what it read without knowing the secret. Only exact masks of the
 * old value are restored; a field left out of `next` stays out (removal is explicit).
 */
export function restoreFields<C extends Record<string, unknown>>(
  previous: Record<string, unknown>,
  next: C,
  fields: readonly string[],
): C {
  return mapFields(next, fields, (value, field) => restoreDeep(previous[field], value));
}

function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskValue(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
  return value;
}

function restoreDeep(previous: unknown, next: unknown): unknown {
  if (typeof next === 'string') {
    return typeof previous === 'string' && next === maskValue(previous) ? previous : next;
  }
  if (Array.isArray(next)) {
    const old = Array.isArray(previous) ? previous : [];
    return next.map((v, i) => restoreDeep(old[i], v));
  }
  if (isPlainObject(next)) {
    const old = isPlainObject(previous) ? previous : {};
    return Object.fromEntries(
      Object.entries(next).map(([k, v]) => [k, restoreDeep(Object.hasOwn(old, k) ? old[k] : undefined, v)]),
    );
  }
  return next;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A URL whose path or query may carry a token (webhook URLs usually do): shown as its origin
 * and a masked rest, e.g. "https://discord.com/••••Xy9z", so an operator can still tell
 * where it points.
 */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return maskValue(url);
  }
  const rest = `${parsed.pathname}${parsed.search}`.replace(/^\//, '');
  return rest === '' ? url : `${parsed.origin}/${maskValue(rest)}`;
}

/** Masks the URL fields of a config. */
export function maskUrlFields<C extends Record<string, unknown>>(config: C, fields: readonly string[]): C {
  return mapFields(config, fields, (value) => (typeof value === 'string' ? maskUrl(value) : value));
}

/** A URL field sent back exactly as it was shown keeps the stored URL. */
export function restoreUrlFields<C extends Record<string, unknown>>(
  previous: Record<string, unknown>,
  next: C,
  fields: readonly string[],
): C {
  return mapFields(next, fields, (value, field) => {
    const old = previous[field];
    return typeof old === 'string' && value === maskUrl(old) ? old : value;
  });
}
