// Signed-in requests against the harness's app, for dashboard page tests: a user and a session
// made through the store (as the sign-in page would), then requests carrying the cookie and,
// for unsafe methods, the CSRF token.
import { hashPassword } from '../../src/auth/passwords.ts';
import { normalizeEmail } from '../../src/auth/users.ts';
import type { Role } from '../../src/store/store.ts';
import { randomToken, SESSION_COOKIE, sha256 } from '../../src/web/session.ts';
import type { Harness } from './harness.ts';

export interface Browser {
  userId: string;
  email: string;
  cookie: string;
  csrf: string;
  /** GET (or any method) with the session cookie */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** a form POST with the cookie and the CSRF field (unless `csrf: null`) */
  post(
    path: string,
    fields?: Record<string, string | string[]>,
    opts?: { csrf?: string | null; htmx?: boolean },
  ): Promise<Response>;
}

let counter = 0;

/**
 * Every user signIn makes has PASSWORD, so one hash serves them all: scrypt at vigil's cost
 * takes about 90 ms of CPU, and page specs sign a user in before each test. (createUser would
 * hash it afresh each time; its checks of the email and password are the sign-up specs' job.)
 */
let passwordHash: Promise<string> | undefined;

/**
 * A user who is `role` in the harness's main project (or in `projectIds`), signed in. The
 * password is "correct horse battery" for every such user.
 */
export async function signIn(
  h: Harness,
  opts: { role?: Role; projectIds?: string[]; email?: string } = {},
): Promise<Browser> {
  const email = opts.email ?? `user${++counter}-${randomToken(4).toLowerCase()}@example.com`;
  const now = h.clock.now();
  passwordHash ??= hashPassword(PASSWORD);
  const hash = await passwordHash;
  const user = await h.store.transaction(async (tx) => {
    const u = { id: crypto.randomUUID(), email: normalizeEmail(email), passwordHash: hash, createdAt: now };
    await tx.insertUser(u);
    for (const projectId of opts.projectIds ?? [h.project.id]) {
      await tx.putMembership({ userId: u.id, projectId, role: opts.role ?? 'owner', createdAt: now });
    }
    return u;
  });
  const token = randomToken();
  const csrf = randomToken(24);
  await h.store.insertSession({
    id: await sha256(token),
    userId: user.id,
    csrfToken: csrf,
    projectId: (opts.projectIds ?? [h.project.id])[0] ?? null,
    createdAt: now,
    expiresAt: now + 86_400_000,
  });
  const cookie = `${SESSION_COOKIE}=${token}`;
  return {
    userId: user.id,
    email: user.email,
    cookie,
    csrf,
    get: (path, headers = {}) => Promise.resolve(h.app.request(path, { headers: { cookie, ...headers } })),
    post: (path, fields = {}, o = {}) => {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
      const token = o.csrf === undefined ? csrf : o.csrf;
      if (token !== null) body.set('_csrf', token);
      return Promise.resolve(
        h.app.request(path, {
          method: 'POST',
          headers: {
            cookie,
            'content-type': 'application/x-www-form-urlencoded',
            ...(o.htmx ? { 'HX-Request': 'true' } : {}),
          },
          body,
        }),
      );
    },
  };
}

export const PASSWORD = 'correct horse battery';
