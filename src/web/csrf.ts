// CSRF protection for every dashboard form and htmx request: a POST must carry the session's
// token, as the `_csrf` form field or the X-CSRF-Token header (htmx sends it from the page's
// hx-headers). The sign-in form, before any session exists, uses a double-submit cookie.
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { randomToken, type WebEnv } from './session.ts';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
export const LOGIN_CSRF_COOKIE = 'vigil_login_csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries: the header, else the form field. */
async function sentToken(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const field = (await c.req.parseBody())[CSRF_FIELD];
    return typeof field === 'string' ? field : undefined;
  }
  return undefined;
}

/** Rejects an unsafe request of a signed-in user without the session's CSRF token (403). */
export function requireCsrf(): MiddlewareHandler<WebEnv> {
  return async function requireCsrf(c, next) {
    const session = c.get('session');
    if (!SAFE_METHODS.has(c.req.method) && session !== null) {
      if (!sameToken(await sentToken(c), session.csrfToken)) {
        return c.text(
          'The form expired or came from another site (CSRF check failed). Reload the page and try again.',
          403,
        );
      }
    }
    await next();
  };
}

/** For the sign-in form: a token set as a cookie and put in the form; both must match on POST. */
export function loginCsrfToken(c: Context, secure: boolean): string {
  const existing = getCookie(c, LOGIN_CSRF_COOKIE);
  if (existing && existing.length <= 64) return existing;
  const token = randomToken(24);
  setCookie(c, LOGIN_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure, path: '/login' });
  return token;
}

export async function loginCsrfValid(c: Context): Promise<boolean> {
  return sameToken(await sentToken(c), getCookie(c, LOGIN_CSRF_COOKIE));
}
