// What the sign-in, API key and project pages share: sending a page with its doctype and
// status, the 403/404 pages, and reading a posted form through a zod schema into the
// per-field messages the forms show under their inputs.
import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { type Html, messagePage, sendPage } from '../render.tsx';
import type { WebEnv } from '../session.ts';

export type WebContext = Context<WebEnv>;

/** Sends a page with its doctype. */
export function render(c: WebContext, page: JSX.Element, status: ContentfulStatusCode = 200) {
  return sendPage(c, page as Html, status);
}

/** A page that only says what went wrong and what to do about it. */
export function errorPage(c: WebContext, status: ContentfulStatusCode, title: string, message: string) {
  return messagePage(c, {
    status,
    title,
    text: message,
    back: { href: '/projects', label: 'Back to your projects' },
  });
}

export function forbidden(c: WebContext, what: string) {
  const project = c.var.project?.name ?? 'this project';
  return errorPage(c, 403, 'Not allowed', `Only an owner of ${project} can ${what}. Ask one of its owners.`);
}

export function notFound(c: WebContext, what: string) {
  return errorPage(c, 404, 'Not found', `No such ${what} in ${c.var.project?.name ?? 'your projects'}.`);
}

export type FieldErrors = Record<string, string>;

export type FormResult<T> =
  | { ok: true; data: T; values: Record<string, string> }
  | { ok: false; errors: FieldErrors; values: Record<string, string> };

/** The posted form's text fields (files are ignored), checked by `schema`. */
export async function readForm<S extends z.ZodType>(
  c: WebContext,
  schema: S,
): Promise<FormResult<z.output<S>>> {
  const body = await c.req.parseBody();
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') values[k] = v;
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, data: parsed.data, values };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return { ok: false, errors, values };
}

/** Attributes that mark an input invalid and tie it to its message (see FieldError). */
export function invalid(id: string, error: string | undefined) {
  return error ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-error` } : {};
}

/** The message under an input; Pico colours it when the input is aria-invalid. */
export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? <small id={`${id}-error`}>{error}</small> : null;
}
