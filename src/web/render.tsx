// Sending pages and fragments, and the small pieces every page module shares: the doctype
// (without it browsers fall back to quirks mode and Pico's layout breaks), whether htmx asked
// for a fragment, the layout's context, and the page that says what went wrong.
import type { Context, Env } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { can } from '../auth/users.ts';
import { Notice, Page, type PageProps } from './layout.tsx';
import type { WebEnv, WebVariables } from './session.ts';

export type Ctx = Context<WebEnv>;
export type Html = HtmlEscapedString | Promise<HtmlEscapedString> | string | Promise<string>;

/** A whole page, with its doctype. */
export async function sendPage<E extends Env>(c: Context<E>, el: Html, status: ContentfulStatusCode = 200) {
  return c.html(`<!doctype html>${await el}`, status);
}

/** A piece of a page, for htmx to swap in. */
export async function sendFragment<E extends Env>(
  c: Context<E>,
  el: Html,
  status: ContentfulStatusCode = 200,
) {
  return c.html(await el, status);
}

/** Whether htmx asked for a fragment (a history restore wants the whole page). */
export function wantsFragment(c: Context): boolean {
  return c.req.header('hx-request') === 'true' && c.req.header('hx-history-restore-request') !== 'true';
}

/** The context the layout wants, from the request's variables. */
export function pageCtx(c: Ctx): WebVariables {
  return {
    user: c.get('user'),
    session: c.get('session'),
    memberships: c.get('memberships'),
    projects: c.get('projects'),
    project: c.get('project'),
    role: c.get('role'),
    storage: c.get('storage'),
  };
}

/** Whether the signed-in user may change things in the project they are looking at. */
export function canWrite(c: Ctx): boolean {
  const role = c.get('role');
  return c.get('project') !== null && role !== null && can.write(role);
}

export interface Message {
  status: ContentfulStatusCode;
  title: string;
  text: string;
  section?: PageProps['section'];
  /** where to go from here */
  back?: { href: string; label: string };
}

/** A page (or, for htmx, a fragment) that only says what went wrong and what to do about it. */
export function messagePage(c: Ctx, m: Message) {
  if (wantsFragment(c)) return sendFragment(c, <Notice kind="error">{m.text}</Notice>, m.status);
  return sendPage(
    c,
    <Page title={m.title} ctx={pageCtx(c)} section={m.section}>
      <h1>{m.title}</h1>
      <Notice kind="error">
        {m.text} {m.back ? <a href={m.back.href}>{m.back.label}</a> : null}
      </Notice>
    </Page>,
    m.status,
  );
}

/** An instant as "2026-03-29 01:00 UTC", machine-readable in `datetime`; `relative` lets app.js
 * show it as "3 min ago". */
export function Instant({ at, relative }: { at: number; relative?: boolean }) {
  const iso = new Date(at).toISOString();
  return (
    <time datetime={iso} data-relative={relative ? '' : undefined} title={iso}>
      {`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}
    </time>
  );
}
