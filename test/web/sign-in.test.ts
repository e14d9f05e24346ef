// Signing in and out through the real app: the cookie's flags, answers that do not tell which
// emails exist, the login CSRF cookie, rate limits on the harness's clock, and redirects that
// stay on this site.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/web/session.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { PASSWORD, signIn } from '../helpers/web.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

/** The sign-in form as a browser gets it: its CSRF cookie and the same token in the form. */
async function openForm(app = h.app, path = '/login') {
  const res = await app.request(path);
  expect(res.status).toBe(200);
  const cookie = /vigil_login_csrf=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  const html = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  expect(cookie).toBeTruthy();
  expect(token).toBe(cookie);
  return { token: token!, html };
}

interface Attempt {
  email: string;
  password: string;
  next?: string;
  /** the CSRF token to send; the form's by default, null for none */
  csrf?: string | null;
  cookie?: string | null;
  url?: string;
  headers?: Record<string, string>;
  app?: Harness['app'];
}

async function attempt(a: Attempt): Promise<Response> {
  const app = a.app ?? h.app;
  const { token } = await openForm(app);
  const body = new URLSearchParams({ email: a.email, password: a.password });
  if (a.next !== undefined) body.set('next', a.next);
  const csrf = a.csrf === undefined ? token : a.csrf;
  if (csrf !== null) body.set('_csrf', csrf);
  const cookie = a.cookie === undefined ? `vigil_login_csrf=${token}` : a.cookie;
  return app.request(a.url ?? '/login', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie === null ? {} : { cookie }),
      ...a.headers,
    },
    body,
  });
}

const sessionCookie = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    ?.split(';')[0];

describe('the sign-in form', () => {
  it('carries a CSRF token and a same-site next path, and nothing of another site', async () => {
    const { html } = await openForm(h.app, '/login?next=%2Fkeys');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('name="next" value="/keys"');
    expect((await openForm(h.app, '/login?next=%2F%2Fevil.com')).html).not.toContain('evil.com');
  });

  it('sends a signed-in user on to the checks', async () => {
    const browser = await signIn(h);
    const res = await browser.get('/login');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/checks');
  });
});

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie and sends the user to the checks', async () => {
    const { email } = await signIn(h);
    const res = await attempt({ email: email.toUpperCase(), password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/checks');
    const raw = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Lax/i);
    expect(raw).not.toMatch(/Secure/i);
    const keys = await h.app.request('/keys', { headers: { cookie: sessionCookie(res)! } });
    expect(keys.status).toBe(200);
  });

  it('marks the cookie Secure behind a trusted https proxy, and only a trusted one', async () => {
    const { email } = await signIn(h);
    const forwarded = { 'x-forwarded-proto': 'https' };
    const untrusted = await attempt({ email, password: PASSWORD, headers: forwarded });
    expect(untrusted.headers.getSetCookie().join('\n')).not.toMatch(/Secure/i);

    const proxied = await createHarness({ trustProxy: true });
    try {
      const user = await signIn(proxied);
      const res = await attempt({
        app: proxied.app,
        email: user.email,
        password: PASSWORD,
        headers: forwarded,
      });
      expect(res.status).toBe(303);
      expect(res.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE))).toMatch(/Secure/i);
    } finally {
      await proxied.close();
    }
  });

  it('marks the cookie Secure on a direct https request', async () => {
    const { email } = await signIn(h);
    const res = await attempt({ email, password: PASSWORD, url: 'https://vigil.test/login' });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE))).toMatch(/Secure/i);
  });

  it('answers a wrong password and an unknown email alike: 400, the email kept, no session', async () => {
    const { email } = await signIn(h);
    const wrong = await attempt({ email, password: 'not the password' });
    const unknown = await attempt({ email: 'nobody@example.com', password: 'not the password' });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    const wrongHtml = await wrong.text();
    const unknownHtml = await unknown.text();
    expect(wrongHtml).toContain('Wrong email or password');
    expect(wrongHtml).toContain(`value="${email}"`);
    const normalise = (html: string, e: string) =>
      html.replaceAll(e, 'EMAIL').replace(/name="_csrf" value="[^"]+"/, '');
    expect(normalise(unknownHtml, 'nobody@example.com')).toBe(normalise(wrongHtml, email));
    expect(sessionCookie(wrong)).toBeUndefined();
  });

  it('shows the form again with what is missing', async () => {
    const res = await attempt({ email: '', password: '' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('enter your email');
    expect(html).toContain('aria-invalid="true"');
  });

  it('refuses a post without the login CSRF token or cookie (403)', async () => {
    const { email } = await signIn(h);
    for (const a of [{ csrf: null }, { cookie: null }, { csrf: 'forged-token-of-the-same-length-ab' }]) {
      const res = await attempt({ email, password: PASSWORD, ...a });
      expect(res.status, JSON.stringify(a)).toBe(403);
      expect(sessionCookie(res)).toBeUndefined();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After after five tries for one email, and lets it in again later', async () => {
    const { email } = await signIn(h);
    for (let i = 0; i < 5; i++)
      expect((await attempt({ email, password: 'wrong password' })).status).toBe(400);
    const limited = await attempt({ email, password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many sign-in attempts');
    expect(sessionCookie(limited)).toBeUndefined();

    h.clock.advance(30_000);
    expect((await attempt({ email, password: PASSWORD })).status).toBe(303);
  });

  it('forgets the failures of an email after it signs in', async () => {
    const { email } = await signIn(h);
    for (let i = 0; i < 4; i++) await attempt({ email, password: 'wrong password' });
    expect((await attempt({ email, password: PASSWORD })).status).toBe(303);
    for (let i = 0; i < 5; i++)
      expect((await attempt({ email, password: 'wrong password' })).status).toBe(400);
  });

  it('limits one client address across many emails', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      statuses.push((await attempt({ email: `guess${i}@example.com`, password: 'wrong password' })).status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe('where signing in leads', () => {
  it.each([
    ['//evil.com', '/checks'],
    ['/\\evil.com', '/checks'],
    ['https://evil.com/', '/checks'],
    ['/\t/evil.com', '/checks'],
    ['/keys?project=x', '/keys?project=x'],
  ])('next=%j goes to %s', async (next, location) => {
    const { email } = await signIn(h);
    const res = await attempt({ email, password: PASSWORD, next });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(location);
  });

  it('sends a user in no project to the welcome page, which lets them create one', async () => {
    const { email } = await signIn(h, { projectIds: [] });
    const res = await attempt({ email, password: PASSWORD });
    expect(res.headers.get('location')).toBe('/welcome');
    const cookie = sessionCookie(res)!;
    const welcome = await h.app.request('/welcome', { headers: { cookie } });
    expect(welcome.status).toBe(200);
    const html = await welcome.text();
    expect(html).toContain('You are not in any project yet');
    expect(html).toContain('action="/projects"');
  });
});

describe('sessions end', () => {
  it('on sign-out: the old cookie no longer works', async () => {
    const browser = await signIn(h);
    expect((await browser.get('/keys')).status).toBe(200);
    expect((await browser.post('/logout', {}, { csrf: null })).status).toBe(403);
    const out = await browser.post('/logout');
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect(out.headers.getSetCookie().join('\n')).toMatch(new RegExp(`${SESSION_COOKIE}=;`));
    const after = await browser.get('/keys');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login?next=%2Fkeys');
  });

  it('when they expire: back to the sign-in page', async () => {
    const browser = await signIn(h);
    h.clock.advance(86_400_000 + 1);
    const res = await browser.get('/projects');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fprojects');
  });
});
