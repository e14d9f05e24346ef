/** A URL-safe slug from a name: "Nightly Backup (db1)" -> "nightly-backup-db1". */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
  return slug || 'check';
}

/**
 * Slugs: 1 to 100 characters; '/'-separated segments of lowercase letters, digits, '-', '_'
 * and '.', each starting with a letter or digit (so no empty, '.' or '..' segments and no
 * trailing '/': every slug is reachable as a ping URL).
 */
export const SLUG_PATTERN = /^(?=.{1,100}$)[a-z0-9][a-z0-9_.-]*(?:\/[a-z0-9][a-z0-9_.-]*)*$/;
