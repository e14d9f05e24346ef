// Comparing what a file says with what the API shows, where the API masks secrets: a masked
// value in the file means "keep the stored one", and a plain one is compared by its mask.

export const MASK = '••••';

export const isMasked = (v: unknown) => typeof v === 'string' && v.includes(MASK);

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compares `want` (as the server would show it) with `have`; a masked `raw` value matches anything. */
export function sameShown(raw: unknown, want: unknown, have: unknown): boolean {
  if (isMasked(raw)) return true;
  if (Array.isArray(raw) && Array.isArray(want) && Array.isArray(have)) {
    return raw.length === have.length && raw.every((r, i) => sameShown(r, want[i], have[i]));
  }
  if (
    raw &&
    typeof raw === 'object' &&
    want &&
    typeof want === 'object' &&
    have &&
    typeof have === 'object'
  ) {
    const keys = new Set([...Object.keys(want), ...Object.keys(have)]);
    const [r, w, h] = [raw, want, have] as Record<string, unknown>[];
    return [...keys].every((k) => k in w! && k in h! && sameShown(r![k], w![k], h![k]));
  }
  return same(want, have);
}

export function hasMask(v: unknown): boolean {
  if (isMasked(v)) return true;
  if (Array.isArray(v)) return v.some(hasMask);
  if (v && typeof v === 'object') return Object.values(v).some(hasMask);
  return false;
}
