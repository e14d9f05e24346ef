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

/** Slugs: lowercase letters, digits, '-', '_', '.' and '/', 1 to 100 characters, starting with a letter or digit. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_./-]{0,99}$/;
