// The incidents page: the open down periods across all the user's projects, with who is on
// them, and the recently resolved ones. It stays live: incident events make the table
// re-fetch itself. Acknowledging (here or from a check's page) posts to one route.
import type { Context, Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { can, membershipOf } from '../../auth/users.ts';
import { formatDuration } from '../../core/schedule.ts';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import { acknowledge } from '../../incidents/acknowledge.ts';
import type { Check, Incident, Project, Store } from '../../store/store.ts';
import { Csrf, Page } from '../layout.tsx';
import { type Html, Instant, messagePage, sendFragment, sendPage } from '../render.tsx';
import { requireUser, type WebEnv, type WebVariables } from '../session.ts';

type Ctx = Context<WebEnv>;

/** More open incidents than this at once is an outage the list cannot help with anyway. */
const MAX_OPEN = 500;
const RESOLVED_SHOWN = 50;
const LIVE_TYPES = 'incident.opened incident.resolved incident.acknowledged';

interface Listing {
  open: Incident[];
  resolved: Incident[];
  checks: Map<string, Check>;
}

async function list(store: Store, projects: Project[]): Promise<Listing> {
  const ids = projects.map((p) => p.id);
  if (ids.length === 0) return { open: [], resolved: [], checks: new Map() };
  const open = await store.listIncidents(ids, { open: true, limit: MAX_OPEN });
  // The newest RESOLVED_SHOWN + open.length hold at least RESOLVED_SHOWN resolved ones, if
  // there are that many: at most open.length of them are open.
  const recent = await store.listIncidents(ids, { limit: RESOLVED_SHOWN + open.length });
  const resolved = recent.filter((i) => i.resolvedAt !== null).slice(0, RESOLVED_SHOWN);
  const checks = new Map<string, Check>();
  for (const i of [...open, ...resolved]) {
    if (checks.has(i.checkId)) continue;
    const check = await store.getCheck(i.checkId);
    if (check) checks.set(check.id, check);
  }
  return { open, resolved, checks };
}

interface RowProps {
  incident: Incident;
  listing: Listing;
  ctx: WebVariables;
  now: number;
}

function CheckCell({ incident, listing, ctx }: RowProps) {
  const check = listing.checks.get(incident.checkId);
  if (!check) return <td class="muted">(deleted check)</td>;
  // opening a check of another project switches the dashboard to that project
  const query =
    incident.projectId === ctx.project?.id ? '' : `?project=${encodeURIComponent(incident.projectId)}`;
  return (
    <td>
      <a href={`/checks/${check.id}${query}`}>{check.name}</a>
    </td>
  );
}

function AckCell({ incident, ctx }: RowProps) {
  if (incident.acknowledgedAt !== null) {
    return (
      <td>
        {incident.acknowledgedBy ?? 'someone'}{' '}
        <small class="muted">
          <Instant at={incident.acknowledgedAt} relative />
        </small>
      </td>
    );
  }
  const role = membershipOf(ctx.memberships, incident.projectId)?.role;
  if (incident.resolvedAt !== null || !role || !can.write(role)) return <td class="muted">—</td>;
  const action = `/incidents/${incident.id}/acknowledge`;
  return (
    <td>
      <form
        method="post"
        action={action}
        class="inline"
        hx-post={action}
        hx-target="#incidents"
        hx-swap="outerHTML"
      >
        <Csrf ctx={ctx} />
        <button type="submit" class="secondary outline">
          Acknowledge
        </button>
      </form>
    </td>
  );
}

function projectName(ctx: WebVariables, id: string): string {
  return ctx.projects.find((p) => p.id === id)?.name ?? '';
}

function OpenRow(props: RowProps) {
  const { incident: i, ctx, now } = props;
  return (
    <tr id={`incident-${i.id}`}>
      <CheckCell {...props} />
      <td>{projectName(ctx, i.projectId)}</td>
      <td class="nowrap">
        <Instant at={i.openedAt} relative />
      </td>
      <td>{formatDuration(now - i.openedAt)}</td>
      <td>{i.reason}</td>
      <AckCell {...props} />
    </tr>
  );
}

function ResolvedRow(props: RowProps) {
  const { incident: i, ctx } = props;
  return (
    <tr id={`incident-${i.id}`}>
      <CheckCell {...props} />
      <td>{projectName(ctx, i.projectId)}</td>
      <td class="nowrap">
        <Instant at={i.openedAt} />
      </td>
      <td class="nowrap">
        <Instant at={i.resolvedAt!} relative />
      </td>
      <td>{formatDuration(i.resolvedAt! - i.openedAt)}</td>
      <td>{i.reason}</td>
      <AckCell {...props} />
    </tr>
  );
}

/** The live part of the page; GET /incidents/table renders it alone for htmx to swap in. */
function IncidentTables({ listing, ctx, now }: { listing: Listing; ctx: WebVariables; now: number }) {
  const row = { listing, ctx, now };
  return (
    <div
      id="incidents"
      data-live={LIVE_TYPES}
      hx-get="/incidents/table"
      hx-trigger="live"
      hx-swap="outerHTML"
    >
      <h2>Open</h2>
      {listing.open.length === 0 ? (
        <p class="muted">No open incidents: no check is down.</p>
      ) : (
        <table class="compact">
          <thead>
            <tr>
              <th>Check</th>
              <th>Project</th>
              <th>Since</th>
              <th>Down for</th>
              <th>Reason</th>
              <th>Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {listing.open.map((incident) => (
              <OpenRow incident={incident} {...row} />
            ))}
          </tbody>
        </table>
      )}
      {listing.open.length === MAX_OPEN ? <p class="muted">Showing the newest {MAX_OPEN}.</p> : null}
      <h2>Recently resolved</h2>
      {listing.resolved.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table class="compact">
          <thead>
            <tr>
              <th>Check</th>
              <th>Project</th>
              <th>Opened</th>
              <th>Resolved</th>
              <th>Lasted</th>
              <th>Reason</th>
              <th>Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {listing.resolved.map((incident) => (
              <ResolvedRow incident={incident} {...row} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function send(c: Ctx, el: JSX.Element, status: ContentfulStatusCode = 200, page = true) {
  return page ? sendPage(c, el as Html, status) : sendFragment(c, el as Html, status);
}

function errorPage(c: Ctx, status: ContentfulStatusCode, title: string, message: string) {
  return messagePage(c, {
    status,
    title,
    text: message,
    section: 'incidents',
    back: { href: '/incidents', label: 'Back to the incidents' },
  });
}

/** Where to go after a form post: the page it came from, if it is one of ours. */
function backPath(c: Ctx, baseUrl: string): string {
  try {
    const from = new URL(c.req.header('referer') ?? '');
    const ours = from.host === new URL(c.req.url).host || from.origin === new URL(baseUrl).origin;
    const path = `${from.pathname}${from.search}`;
    if (ours && path.startsWith('/') && !path.startsWith('//')) return path;
  } catch {
    // no Referer, or not a URL
  }
  return '/incidents';
}

export function incidentPages(app: Hono<WebEnv>, deps: AppDeps): void {
  const { store, now } = deps;
  const tables = async (c: Ctx) => (
    <IncidentTables listing={await list(store, c.var.projects)} ctx={c.var} now={now()} />
  );

  app.get('/incidents', requireUser(), async (c) =>
    send(
      c,
      <Page title="Incidents" ctx={c.var} section="incidents" events="/api/v1/events">
        <h1>Incidents</h1>
        <p class="muted">Down periods of the checks in all your projects.</p>
        {await tables(c)}
      </Page>,
    ),
  );

  app.get('/incidents/table', requireUser(), async (c) => send(c, await tables(c), 200, false));

  app.post('/incidents/:id/acknowledge', requireUser(), async (c) => {
    const raw = c.req.param('id');
    const incident = /^\d{1,15}$/.test(raw) ? await store.getIncident(Number(raw)) : null;
    const role = incident ? membershipOf(c.var.memberships, incident.projectId)?.role : undefined;
    if (!incident || !role) return errorPage(c, 404, 'Not found', 'No such incident in your projects.');
    if (!can.write(role)) {
      return errorPage(
        c,
        403,
        'Not allowed',
        'Your role in this project is read-only: you cannot acknowledge.',
      );
    }
    // acknowledging one that resolved meanwhile changes nothing: the page shows it resolved
    await acknowledge(store, deps.bus, incident, { by: c.var.user!.email, actor: webActor(c, deps) }, now());
    if (c.req.header('hx-request') === 'true') {
      const target = c.req.header('hx-target');
      if (!target || target === 'incidents') return send(c, await tables(c), 200, false);
      // another page's fragment (a check's incidents): it knows best how to show the change
      c.header('HX-Refresh', 'true');
      return c.body(null, 204);
    }
    return c.redirect(backPath(c, deps.config.baseUrl), 303);
  });
}
