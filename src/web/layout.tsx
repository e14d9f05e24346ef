// The page frame every dashboard page shares: head with our own assets, the navigation, the
// project switcher and sign-out, and the CSRF token htmx sends with every request.
import type { Child } from 'hono/jsx';
import { conditionTime, type StorageCondition } from '../store/storage-problem.ts';
import { assetUrl } from './assets.ts';
import { CSRF_FIELD } from './csrf.ts';
import type { WebVariables } from './session.ts';

export interface PageProps {
  title: string;
  /** the signed-in user's context; omit for public pages (sign-in, status pages) */
  ctx?: WebVariables;
  /** the SSE URL that keeps this page live (`/api/v1/events`, a check's stream) */
  events?: string;
  /** which navigation entry is current */
  section?:
    | 'checks'
    | 'sources'
    | 'incidents'
    | 'channels'
    | 'maintenance'
    | 'status-pages'
    | 'keys'
    | 'projects';
  children?: Child;
}

const NAV: [NonNullable<PageProps['section']>, string, string][] = [
  ['checks', '/checks', 'Checks'],
  ['sources', '/sources', 'Sources'],
  ['incidents', '/incidents', 'Incidents'],
  ['channels', '/channels', 'Channels'],
  ['maintenance', '/maintenance', 'Maintenance'],
  ['status-pages', '/status-pages', 'Status pages'],
  ['keys', '/keys', 'API keys'],
  ['projects', '/projects', 'Projects'],
];

export function Page({ title, ctx, events, section, children }: PageProps) {
  const csrf = ctx?.session?.csrfToken;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}' />
        <title>{`${title} · vigil`}</title>
        <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('pico.min.css')} />
        <link rel="stylesheet" href={assetUrl('app.css')} />
        <script src={assetUrl('htmx.min.js')} defer></script>
        <script src={assetUrl('app.js')} defer></script>
      </head>
      <body data-events={events} hx-headers={csrf ? JSON.stringify({ 'X-CSRF-Token': csrf }) : undefined}>
        <header class="container">
          <nav>
            <ul>
              <li>
                {ctx?.user ? (
                  <a href="/checks" class="brand">
                    vigil
                  </a>
                ) : (
                  <strong class="brand">vigil</strong>
                )}
              </li>
              {ctx?.user ? <ProjectSwitcher ctx={ctx} /> : null}
            </ul>
            {ctx?.user ? (
              <ul>
                {NAV.map(([key, href, label]) => (
                  <li>
                    <a href={href} aria-current={key === section ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
                <li>
                  <form method="post" action="/logout" class="inline">
                    <input type="hidden" name={CSRF_FIELD} value={csrf} />
                    <button type="submit" class="secondary outline" title={ctx.user.email}>
                      Sign out
                    </button>
                  </form>
                </li>
              </ul>
            ) : null}
          </nav>
        </header>
        <main class="container">
          {ctx?.user && ctx.storage ? <StorageBanner condition={ctx.storage} /> : null}
          {events ? (
            <small id="live-status" aria-live="polite">
              connecting…
            </small>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  );
}

function ProjectSwitcher({ ctx }: { ctx: WebVariables }) {
  if (ctx.projects.length <= 1) {
    return ctx.project ? (
      <li>
        <span class="muted">{ctx.project.name}</span>
      </li>
    ) : null;
  }
  return (
    <li>
      <form method="get" class="inline">
        <select name="project" aria-label="Project">
          {ctx.projects.map((p) => (
            <option value={p.id} selected={p.id === ctx.project?.id}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary outline">
          Switch
        </button>
      </form>
    </li>
  );
}

/** What every signed-in page says while the database refuses writes. */
function StorageBanner({ condition: { problem, since } }: { condition: StorageCondition }) {
  return (
    <Notice kind="error">
      <strong>
        vigil cannot write to its database since {conditionTime(since)}: {problem.what}.
      </strong>{' '}
      Pings are refused with 503 (clients are told to send them again), alerts wait until it can write again,
      and changes made here are not saved. To fix: {problem.todo}. vigil carries on by itself once writes work
      (it tries every few seconds); this notice then goes away.
    </Notice>
  );
}

/** A message box for errors and notices at the top of a page. */
export function Notice({ kind, children }: { kind: 'error' | 'ok'; children?: Child }) {
  return (
    <article role={kind === 'error' ? 'alert' : 'status'} class={kind === 'error' ? 'error' : undefined}>
      {children}
    </article>
  );
}

/** The hidden CSRF field every form carries. */
export function Csrf({ ctx }: { ctx: WebVariables }) {
  return <input type="hidden" name={CSRF_FIELD} value={ctx.session?.csrfToken ?? ''} />;
}
