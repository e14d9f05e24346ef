// Dashboard sessions: a random token in an HttpOnly cookie, stored only as its SHA-256, with a
// CSRF token per session. The middleware here puts the user, their memberships and the
// project the dashboard shows on the context.
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { membershipOf } from '../auth/users.ts';
import type { StorageCondition } from '../store/storage-problem.ts';
import type { Membership, Project, Role, Session, Store, User } from '../store/store.ts';

export const SESSION_COOKIE = 'vigil_session';
export const SESSION_DAYS = 14;
const DAY = 86_400_000;

export interface WebVariables {
  user: User | null;
  session: Session | null;
  memberships: Membership[];
  /** the user's projects, in the order of `memberships` */
  projects: Project[];
  /** the project the dashboard shows (null for a user in no project) */
  project: Project | null;
  role: Role | null;
  /** the database refuses writes: every page says so (set by webApp, not by the session) */
  storage?: StorageCondition | null;
}

export type WebEnv = { Variables: WebVariables };

export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}

export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('hex');
}

/** Whether the request came over https (directly, or through a proxy we were told to trust). */
export function isHttps(c: Context, trustProxy: boolean, baseUrl: string): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  if (trustProxy && c.req.header('x-forwarded-proto') === 'https') return true;
  return baseUrl.startsWith('https:');
}

/** Starts a session for `user` and sets its cookie. */
export async function startSession(
  c: Context,
  store: Store,
  user: User,
  opts: { now: number; secure: boolean },
): Promise<Session> {
  const token = randomToken();
  const memberships = await store.listMemberships(user.id);
  const session: Session = {
    id: await sha256(token),
    userId: user.id,
    csrfToken: randomToken(24),
    projectId: memberships[0]?.projectId ?? null,
    createdAt: opts.now,
    expiresAt: opts.now + SESSION_DAYS * DAY,
  };
  await store.insertSession(session);
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: opts.secure,
    path: '/',
    maxAge: SESSION_DAYS * 86_400,
  });
  return session;
}

export async function endSession(c: Context, store: Store): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await store.deleteSession(await sha256(token));
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/**
 * Loads the session named by the cookie (if valid and not expired) with its user, their
 * memberships and the current project. `?project=<id>` on a GET switches the current project
 * to another of the user's. Never rejects: pages decide whether they need a user.
 */
export function loadSession(store: Store, now: () => number): MiddlewareHandler<WebEnv> {
  return async function loadSession(c, next) {
    c.set('user', null);
    c.set('session', null);
    c.set('memberships', []);
    c.set('projects', []);
    c.set('project', null);
    c.set('role', null);
    const token = getCookie(c, SESSION_COOKIE);
    if (token && token.length <= 100) {
      const session = await store.getSession(await sha256(token));
      const user = session && session.expiresAt > now() ? await store.getUser(session.userId) : null;
      if (session && user) {
        const memberships = await store.listMemberships(user.id);
        let projectId = session.projectId;
        const wanted = c.req.method === 'GET' ? c.req.query('project') : undefined;
        if (wanted && membershipOf(memberships, wanted)) projectId = wanted;
        if (!projectId || !membershipOf(memberships, projectId))
          projectId = memberships[0]?.projectId ?? null;
        if (projectId !== session.projectId) {
          session.projectId = projectId;
          await store.updateSession(session);
        }
        c.set('user', user);
        c.set('session', session);
        const projects = (await Promise.all(memberships.map((m) => store.getProject(m.projectId)))).filter(
          (p): p is Project => p !== null,
        );
        c.set('memberships', memberships);
        c.set('projects', projects);
        c.set('project', projects.find((p) => p.id === projectId) ?? null);
        c.set('role', projectId ? (membershipOf(memberships, projectId)?.role ?? null) : null);
      }
    }
    await next();
  };
}

/** Pages that need a signed-in user: others are sent to the sign-in page, and back after. */
export function requireUser(): MiddlewareHandler<WebEnv> {
  return async function requireUser(c, next) {
    if (c.get('user') === null) {
      const url = new URL(c.req.url);
      const back = `${url.pathname}${url.search}`;
      if (c.req.header('hx-request')) {
        c.header('HX-Redirect', `/login?next=${encodeURIComponent(back)}`);
        return c.body(null, 401);
      }
      return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
    }
    await next();
  };
}
