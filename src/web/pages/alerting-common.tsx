// What the channel and maintenance pages share: sending a page or an htmx fragment, the 403
// and 404 pages, reading a posted form, and showing a time.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  type Ctx,
  canWrite,
  Instant,
  messagePage,
  pageCtx,
  sendFragment,
  sendPage,
  wantsFragment,
} from '../render.tsx';

export type { Ctx, Html } from '../render.tsx';
export type Section = 'channels' | 'maintenance';

/** Field name → messages to show next to that field. */
export type FieldErrors = Record<string, string[]>;

export { canWrite, Instant, pageCtx, sendFragment, sendPage, wantsFragment };

const BACK: Record<Section, string> = {
  channels: 'Back to the channels',
  maintenance: 'Back to maintenance',
};

function messageIn(c: Ctx, section: Section, title: string, status: ContentfulStatusCode, text: string) {
  return messagePage(c, {
    status,
    title,
    text,
    section,
    back: { href: `/${section}`, label: BACK[section] },
  });
}

export function notFoundPage(c: Ctx, section: Section, what: string) {
  return messageIn(c, section, 'Not found', 404, `There is no such ${what} in this project.`);
}

export function forbiddenPage(c: Ctx, section: Section) {
  const role = c.get('role') ?? 'none';
  return messageIn(
    c,
    section,
    'Not allowed',
    403,
    `Your role in this project (${role}) can look at ${section} but not change it.`,
  );
}

/** A posted form (urlencoded or multipart), read once: one value, or every value of a name. */
export interface Form {
  one(name: string): string;
  all(name: string): string[];
  has(name: string): boolean;
}

export async function readForm(c: Ctx): Promise<Form> {
  const body = await c.req.parseBody({ all: true });
  const values = (name: string): string[] =>
    Object.hasOwn(body, name) ? [body[name]].flat().filter((v): v is string => typeof v === 'string') : [];
  return {
    one: (name) => values(name)[0] ?? '',
    all: values,
    has: (name) => Object.hasOwn(body, name),
  };
}

/** "db, prod\nweb" → ["db", "prod", "web"]: commas or lines, blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The messages for one field, under it. */
export function FieldError({ errors, name }: { errors: FieldErrors; name: string }) {
  const messages = errors[name];
  if (!messages || messages.length === 0) return null;
  return (
    <small class="field-error" id={`${name}-error`}>
      {messages.join('; ')}
    </small>
  );
}

/** aria-invalid for an input whose field has errors. */
export function invalid(errors: FieldErrors, name: string): 'true' | undefined {
  return errors[name]?.length ? 'true' : undefined;
}
