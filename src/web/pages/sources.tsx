// The sources page: the databases and projects vigil reads jobs from, whether it can read them,
// and how their jobs are doing. Writers can ask for a sync now. Sources are added from the CLI
// or the API, where their secrets can be given without a browser form keeping them.
import type { Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { can } from '../../auth/users.ts';
import { UUID_PATTERN } from '../../core/ids.ts';
import type { AppDeps } from '../../http/deps.ts';
import { redactSecrets } from '../../sources/registry.ts';
import { type SourceSummary, summarizeSource } from '../../sources/source-summary.ts';
import type { Source, Store } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import { type Ctx, canWrite, type Html, Instant, messagePage, sendFragment, sendPage } from '../render.tsx';
import { requireUser, type WebEnv, type WebVariables } from '../session.ts';

/** Outcomes shown per source, with the status colour each borrows. */
const OUTCOMES = [
  ['healthy', 'up'],
  ['failed', 'down'],
  ['missed', 'down'],
  ['late', 'late'],
  ['unknown', 'unknown'],
  ['paused', 'paused'],
  ['new', 'new'],
] as const;

interface Row {
  source: Source;
  summary: SourceSummary;
}

async function rows(store: Store, projectId: string): Promise<Row[]> {
  const out: Row[] = [];
  for (const source of await store.listSources(projectId)) {
    out.push({ source, summary: await summarizeSource(store, source) });
  }
  return out;
}

function Health({ source, summary }: Row) {
  const read =
    source.lastSuccessAt === null ? (
      <span class="muted">never read yet</span>
    ) : (
      <>
        read <Instant at={source.lastSuccessAt} relative />
      </>
    );
  if (summary.lastError === null) return <td>{read}</td>;
  return (
    <td>
      <span class="status status-down">cannot read it</span>{' '}
      {source.lastErrorAt !== null ? (
        <small class="muted">
          since <Instant at={source.lastErrorAt} relative />
        </small>
      ) : null}
      <br />
      <small>{summary.lastError}</small>
      <br />
      <small class="muted">last success: {read}</small>
    </td>
  );
}

function Jobs({ summary }: { summary: SourceSummary }) {
  if (summary.total === 0) return <td class="muted">no jobs yet</td>;
  const parts = OUTCOMES.filter(([outcome]) => summary.counts[outcome] > 0);
  return (
    <td>
      {summary.total}:{' '}
      {parts.map(([outcome, status], i) => (
        <>
          {i > 0 ? ' · ' : ''}
          <span class={`status status-${status}`}>{`${summary.counts[outcome]} ${outcome}`}</span>
        </>
      ))}
      {summary.running > 0 ? <small class="muted">{` (${summary.running} running)`}</small> : null}
    </td>
  );
}

function SyncButton({ source, ctx }: { source: Source; ctx: WebVariables }) {
  const action = `/sources/${source.id}/sync`;
  return (
    <form
      method="post"
      action={action}
      class="inline"
      hx-post={action}
      hx-target="#sources"
      hx-swap="outerHTML"
    >
      <Csrf ctx={ctx} />
      <button type="submit" class="secondary outline">
        Sync now
      </button>
    </form>
  );
}

/** The live part of the page; GET /sources/table renders it alone for htmx to swap in. */
function SourcesTable({ list, ctx, notice }: { list: Row[]; ctx: WebVariables; notice?: JSX.Element }) {
  const writer = ctx.role !== null && can.write(ctx.role);
  return (
    <div id="sources" data-live="flip" hx-get="/sources/table" hx-trigger="live" hx-swap="outerHTML">
      {notice ?? null}
      {list.length === 0 ? (
        <p class="muted">
          No sources yet. Add one with <code>vigil sources add</code> or <code>POST /api/v1/sources</code>.
        </p>
      ) : (
        <table class="compact">
          <thead>
            <tr>
              <th>Source</th>
              <th>Kind</th>
              <th>Health</th>
              <th>Jobs</th>
              {writer ? <th></th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((row) => (
              <tr id={`source-${row.source.id}`}>
                <td>
                  {row.source.healthCheckId ? (
                    <a href={`/checks/${row.source.healthCheckId}`}>{row.source.name}</a>
                  ) : (
                    row.source.name
                  )}
                </td>
                <td>{row.source.kind}</td>
                <Health {...row} />
                <Jobs summary={row.summary} />
                {writer ? (
                  <td>
                    <SyncButton source={row.source} ctx={ctx} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function notFound(c: Ctx) {
  return messagePage(c, {
    status: 404,
    title: 'Not found',
    text: 'There is no such source in this project.',
    section: 'sources',
    back: { href: '/sources', label: 'Back to the sources' },
  });
}

export function sourcePages(app: Hono<WebEnv>, deps: AppDeps): void {
  const { store } = deps;
  const table = async (c: Ctx, notice?: JSX.Element) => {
    const project = c.get('project');
    const list = project ? await rows(store, project.id) : [];
    return <SourcesTable list={list} ctx={c.var} notice={notice} />;
  };

  app.get('/sources', requireUser(), async (c) =>
    sendPage(
      c,
      (
        <Page title="Sources" ctx={c.var} section="sources" events="/api/v1/events">
          <h1>Sources</h1>
          <p class="muted">
            Databases and projects vigil reads jobs from: each job is a check, and each source has a health
            check that goes down when vigil cannot read it.
          </p>
          {await table(c)}
        </Page>
      ) as Html,
    ),
  );

  app.get('/sources/table', requireUser(), async (c) => sendFragment(c, (await table(c)) as Html));

  app.post('/sources/:id/sync', requireUser(), async (c) => {
    const id = c.req.param('id');
    const source = UUID_PATTERN.test(id) ? await store.getSource(id.toLowerCase()) : null;
    // another project's source, even one of the user's, is not the page they are on
    if (!source || source.projectId !== c.get('project')?.id) return notFound(c);
    if (!canWrite(c)) {
      return messagePage(c, {
        status: 403,
        title: 'Not allowed',
        text: `Your role in this project (${c.get('role')}) can look at sources but not sync them.`,
        section: 'sources',
      });
    }
    if (!deps.syncSource) {
      return messagePage(c, {
        status: 503,
        title: 'Not available',
        text: `This server does not sync sources on demand; "${source.name}" is read every ${source.syncInterval} s.`,
        section: 'sources',
        back: { href: '/sources', label: 'Back to the sources' },
      });
    }
    const report = await deps.syncSource(source.id);
    if (c.req.header('hx-request') !== 'true') return c.redirect('/sources', 303);
    const notice = report.ok ? (
      <Notice kind="ok">
        Read "{source.name}": {report.jobs} jobs, {report.runs} runs; {report.created} new, {report.updated}{' '}
        changed, {report.archived} archived.
      </Notice>
    ) : (
      <Notice kind="error">
        Could not read "{source.name}":{' '}
        {redactSecrets(source.kind, source.config, report.error ?? 'unknown error')}
      </Notice>
    );
    return sendFragment(c, (await table(c, notice)) as Html);
  });
}
