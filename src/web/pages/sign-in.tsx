// Signing in and out. The sign-in form has its own CSRF cookie (no session exists yet);
// password guessing is slowed per email and per client address; an unknown email costs what
// a wrong password does and gets the same answer; only same-site paths are followed after.
import type { Hono } from 'hono';
import { z } from 'zod';
import { DUMMY_HASH, verifyPassword } from '../../auth/passwords.ts';
import { normalizeEmail } from '../../auth/users.ts';
import { limitKey, requestAddress } from '../../http/client-address.ts';
import type { AppDeps } from '../../http/deps.ts';
import { RateLimiter, retryAfterSeconds } from '../../http/rate-limit.ts';
import { CSRF_FIELD, loginCsrfToken, loginCsrfValid } from '../csrf.ts';
import { Notice, Page } from '../layout.tsx';
import { endSession, isHttps, startSession, type WebEnv } from '../session.ts';
import {
  FieldError,
  type FieldErrors,
  invalid,
  readForm,
  render,
  type WebContext,
} from './account-common.tsx';

/** per email: five tries, then one every 30 s (per client address: VIGIL_RATE_LIMIT_LOGIN) */
export const EMAIL_LIMIT = { burst: 5, refillMs: 30_000 };

const WRONG = 'Wrong email or password.';

/** `next` when it is a path on this site; null for anything a browser could take elsewhere. */
export function sameSitePath(next: string | undefined): string | null {
  if (next === undefined || next.length > 2000) return null;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  // browsers drop tabs and newlines in URLs ("/\t/evil.com" is "//evil.com") and read "\" as "/"
  for (const ch of next) if (ch < ' ' || ch === '\\' || ch === '\x7f') return null;
  return next;
}

const LoginForm = z.object({
  email: z.string().trim().min(1, 'enter your email').max(254, 'an email has at most 254 characters'),
  password: z.string().min(1, 'enter your password').max(1000, 'too long to be a password'),
  next: z.string().optional(),
});

interface LoginProps {
  csrf: string;
  email?: string;
  next?: string | null;
  error?: string;
  errors?: FieldErrors;
}

function LoginPage({ csrf, email, next, error, errors = {} }: LoginProps) {
  return (
    <Page title="Sign in">
      <article class="sign-in">
        <h1>Sign in</h1>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <form method="post" action="/login">
          <input type="hidden" name={CSRF_FIELD} value={csrf} />
          {next ? <input type="hidden" name="next" value={next} /> : null}
          <label>
            Email
            <input
              type="email"
              name="email"
              value={email ?? ''}
              autocomplete="username"
              required
              autofocus
              {...invalid('email', errors.email)}
            />
            <FieldError id="email" error={errors.email} />
          </label>
          <label>
            Password
            <input
              type="password"
              name="password"
              autocomplete="current-password"
              required
              {...invalid('password', errors.password)}
            />
            <FieldError id="password" error={errors.password} />
          </label>
          <button type="submit">Sign in</button>
        </form>
        <small class="muted">
          No account yet? An owner adds you with <code>vigil users create</code>.
        </small>
      </article>
    </Page>
  );
}

export function signInRoutes(app: Hono<WebEnv>, deps: AppDeps): void {
  const byEmail = new RateLimiter(EMAIL_LIMIT);
  const byAddress = deps.rateLimits?.login;
  const secure = (c: WebContext) => isHttps(c, deps.config.trustProxy, deps.config.baseUrl);
  const home = (c: WebContext) => (c.var.project ? '/checks' : '/welcome');

  app.get('/login', (c) => {
    const next = sameSitePath(c.req.query('next'));
    if (c.var.user) return c.redirect(next ?? home(c), 303);
    return render(c, <LoginPage csrf={loginCsrfToken(c, secure(c))} next={next} />);
  });

  app.post('/login', async (c) => {
    const csrf = loginCsrfToken(c, secure(c));
    if (!(await loginCsrfValid(c))) {
      const error = 'The sign-in form expired or came from another site. Sign in again.';
      return render(c, <LoginPage csrf={csrf} error={error} />, 403);
    }
    const form = await readForm(c, LoginForm);
    const next = sameSitePath(form.values.next);
    if (!form.ok) {
      const page = <LoginPage csrf={csrf} email={form.values.email} next={next} errors={form.errors} />;
      return render(c, page, 400);
    }
    const email = normalizeEmail(form.data.email);
    const now = deps.now();
    // the address first: a guesser spread over many emails must not use up each email's tries
    const wait = (byAddress?.take(limitKey(requestAddress(c, deps)), now) ?? 0) || byEmail.take(email, now);
    if (wait > 0) {
      const seconds = retryAfterSeconds(wait);
      c.header('Retry-After', String(seconds));
      const error = `Too many sign-in attempts. Try again in ${seconds} s.`;
      return render(c, <LoginPage csrf={csrf} email={form.data.email} next={next} error={error} />, 429);
    }
    const user = await deps.store.getUserByEmail(email);
    // an unknown email is checked against a dummy hash: the answer takes as long either way
    const ok = await verifyPassword(form.data.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      return render(c, <LoginPage csrf={csrf} email={form.data.email} next={next} error={WRONG} />, 400);
    }
    byEmail.reset(email);
    const session = await startSession(c, deps.store, user, { now, secure: secure(c) });
    return c.redirect(next ?? (session.projectId ? '/checks' : '/welcome'), 303);
  });

  app.post('/logout', async (c) => {
    await endSession(c, deps.store);
    return c.redirect('/login', 303);
  });
}
