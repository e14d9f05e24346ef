// The public status page, /status/<slug>: no session, nothing private (see status-data.ts).
// HTML for people, `?format=json` for scripts; both cached briefly by browsers and proxies.
import type { Hono } from 'hono';
import type { OverallStatus } from '../../core/overall-status.ts';
import type { Status } from '../../core/types.ts';
import { formatUptime } from '../../core/uptime.ts';
import type { AppDeps } from '../../http/deps.ts';
import { Page } from '../layout.tsx';
import { sendPage } from '../render.tsx';
import type { WebEnv } from '../session.ts';
import {
  dayClass,
  type PublicCheck,
  type PublicStatus,
  publicStatus,
  publicStatusJson,
  STATUS_DAYS,
} from './status-data.ts';

const CACHE = 'public, max-age=30';

export const STATUS_WORDS: Record<Status, string> = {
  up: 'Operational',
  late: 'Degraded',
  down: 'Down',
  paused: 'Paused',
  new: 'No data yet',
  unknown: 'Unknown',
};

const BANNERS: Record<OverallStatus, string> = {
  up: 'All systems operational',
  late: 'Some checks are degraded',
  down: 'Some checks are down',
  unknown: 'No data yet',
};

export function publicStatusRoutes(app: Hono<WebEnv>, deps: AppDeps): void {
  app.get('/status/:slug', async (c) => {
    const page = await deps.store.getStatusPageBySlug(c.req.param('slug'));
    const json = c.req.query('format') === 'json';
    if (!page) {
      if (json)
        return c.json({ error: { code: 'not_found', message: 'no status page at this address' } }, 404);
      return sendPage(c, <NotFound />, 404);
    }
    const status = await publicStatus(deps.store, page, deps.now());
    c.header('Cache-Control', CACHE);
    if (json) return c.json(publicStatusJson(status));
    return sendPage(c, <StatusView status={status} />);
  });
}

function StatusView({ status }: { status: PublicStatus }) {
  return (
    <Page title={status.title}>
      <hgroup>
        <h1>{status.title}</h1>
        <p class="muted">
          Updated <time datetime={new Date(status.generatedAt).toISOString()}>{utc(status.generatedAt)}</time>
        </p>
      </hgroup>
      <article class={`status-banner status-banner-${status.status}`} role="status">
        {BANNERS[status.status]}
      </article>
      {status.checks.length === 0 ? <p class="muted">This page shows no checks yet.</p> : null}
      {status.checks.map((check) => (
        <CheckRow check={check} />
      ))}
      <p>
        <small class="muted">
          Each bar is one UTC day of the last {STATUS_DAYS}. Time paused or before the first ping does not
          count.
        </small>
      </p>
    </Page>
  );
}

function CheckRow({ check }: { check: PublicCheck }) {
  const overall = check.uptime90d === null ? 'no data' : `${formatUptime(check.uptime90d)} uptime`;
  return (
    <section class="status-check">
      <div class="status-check-head">
        <strong>{check.name}</strong>
        <span class={`status status-${check.status}`}>{STATUS_WORDS[check.status]}</span>
      </div>
      <div class="bars" role="img" aria-label={`${STATUS_DAYS} days: ${overall}`}>
        {check.days.map((d) => (
          <span
            class={dayClass(d.uptime)}
            title={`${d.date}: ${d.uptime === null ? 'no data' : formatUptime(d.uptime)}`}
          />
        ))}
      </div>
      <div class="status-check-foot muted">
        <small>{STATUS_DAYS} days ago</small>
        <small>{overall}</small>
        <small>today</small>
      </div>
    </section>
  );
}

function NotFound() {
  return (
    <Page title="Status page not found">
      <h1>Status page not found</h1>
      <p>There is no status page at this address. Check the link, or ask whoever shared it.</p>
    </Page>
  );
}

function utc(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
