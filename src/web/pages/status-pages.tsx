// Status page management (/status-pages): the current project's public status pages, made,
// changed and deleted by owners; and its badge links. Everyone in the project sees the list;
// only owners get the buttons, and anyone else's POST is refused (403).
import type { Context, Hono } from 'hono';
import type { Actor } from '../../audit/actor.ts';
import { fieldChanges, recordChange, recordUpdate } from '../../audit/audit-log.ts';
import { can } from '../../auth/users.ts';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import { updateProject } from '../../projects/keys.ts';
import { newBadgeKey } from '../../store/migrations/003-dashboard.ts';
import type { Check, Project, StatusPage, Store } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import { listAllChecks } from '../public/list-all-checks.ts';
import { sendPage } from '../render.tsx';
import { requireUser, type WebEnv, type WebVariables } from '../session.ts';
import { BadgeLinks } from './badge-links.tsx';
import {
  emptyValues,
  type FormErrors,
  type FormValues,
  parseForm,
  StatusPageForm,
} from './status-page-form.tsx';

type C = Context<WebEnv>;

/**
 * Saves a status page (new when `before` is null) or deletes it (`after` null), with the audit
 * entry in the same transaction.
 */
async function writePage(
  store: Store,
  before: StatusPage | null,
  after: StatusPage | null,
  now: number,
  actor: Actor,
): Promise<void> {
  const page = (after ?? before)!;
  const target = { id: page.id, name: page.title };
  await store.transaction(async (tx) => {
    if (before === null) {
      await tx.insertStatusPage(page);
      await recordChange(tx, actor, {
        action: 'status_page.created',
        projectId: page.projectId,
        target,
        at: now,
      });
    } else if (after === null) {
      if (!(await tx.deleteStatusPage(page.id))) return;
      await recordChange(tx, actor, {
        action: 'status_page.deleted',
        projectId: page.projectId,
        target,
        at: now,
      });
    } else {
      await tx.updateStatusPage(after);
      await recordUpdate(tx, actor, {
        action: 'status_page.updated',
        projectId: page.projectId,
        target,
        at: now,
        changes: fieldChanges(before, after, ['title', 'slug', 'checkIds']),
      });
    }
  });
}

const DONE: Record<string, string> = {
  created: 'Status page created.',
  saved: 'Status page saved.',
  deleted: 'Status page deleted.',
  'badge-key': 'New badge key made: badge URLs with the old key no longer work.',
};

export function statusPageRoutes(app: Hono<WebEnv>, deps: AppDeps): void {
  const { store } = deps;
  const baseUrl = deps.config.baseUrl;
  app.use('/status-pages', requireUser());
  app.use('/status-pages/*', requireUser());

  app.get('/status-pages', async (c) => {
    const project = c.get('project');
    if (!project) return sendPage(c, <NoProject ctx={c.var} />);
    return listPage(c, project, emptyValues(), {}, 200);
  });

  app.post('/status-pages', async (c) => {
    const project = owned(c);
    if (!project) return forbidden(c);
    const checks = await listAllChecks(store, project.id);
    const { values, errors } = parseForm(await c.req.parseBody({ all: true }), checks);
    if (Object.keys(errors).length === 0) {
      if (await slugTaken(values.slug, null)) errors.slug = 'taken: another status page has this address';
    }
    if (Object.keys(errors).length > 0) return listPage(c, project, values, errors, 400);
    const now = deps.now();
    const page: StatusPage = {
      id: deps.newId(),
      projectId: project.id,
      slug: values.slug,
      title: values.title,
      checkIds: values.checkIds,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await writePage(store, null, page, now, webActor(c, deps));
    } catch (err) {
      // two owners racing for one address: the unique index decides
      if (!(await slugTaken(values.slug, null))) throw err;
      return listPage(c, project, values, { slug: 'taken: another status page has this address' }, 400);
    }
    return c.redirect('/status-pages?done=created', 303);
  });

  app.post('/status-pages/badge-key', async (c) => {
    const project = owned(c);
    if (!project) return forbidden(c);
    await store.transaction((tx) =>
      updateProject(tx, project, { ...project, badgeKey: newBadgeKey() }, deps.now(), webActor(c, deps)),
    );
    return c.redirect('/status-pages?done=badge-key#badges', 303);
  });

  app.get('/status-pages/:id/edit', async (c) => {
    const project = owned(c);
    if (!project) return forbidden(c);
    const page = await pageOf(c, project);
    if (!page) return notFound(c);
    const values: FormValues = { title: page.title, slug: page.slug, checkIds: page.checkIds, order: {} };
    return editPage(c, project, page, values, {}, 200);
  });

  app.post('/status-pages/:id', async (c) => {
    const project = owned(c);
    if (!project) return forbidden(c);
    const page = await pageOf(c, project);
    if (!page) return notFound(c);
    const checks = await listAllChecks(store, project.id);
    const { values, errors } = parseForm(await c.req.parseBody({ all: true }), checks);
    if (Object.keys(errors).length === 0 && (await slugTaken(values.slug, page.id)))
      errors.slug = 'taken: another status page has this address';
    if (Object.keys(errors).length > 0) return editPage(c, project, page, values, errors, 400);
    const updated = { ...page, title: values.title, slug: values.slug, checkIds: values.checkIds };
    try {
      const now = deps.now();
      await writePage(store, page, { ...updated, updatedAt: now }, now, webActor(c, deps));
    } catch (err) {
      if (!(await slugTaken(values.slug, page.id))) throw err;
      return editPage(c, project, page, values, { slug: 'taken: another status page has this address' }, 400);
    }
    return c.redirect('/status-pages?done=saved', 303);
  });

  app.get('/status-pages/:id/delete', async (c) => {
    const project = owned(c);
    if (!project) return forbidden(c);
    const page = await pageOf(c, project);
    if (!page) return notFound(c);
    return sendPage(
      c,
      <Page title="Delete status page" ctx={c.var} section="status-pages">
        <h1>Delete “{page.title}”?</h1>
        <p>{`${baseUrl}/status/${page.slug}`} stops working at once. The checks and their history stay.</p>
        <form method="post" action={`/status-pages/${page.id}/delete`}>
          <Csrf ctx={c.var} />
          <button type="submit" class="contrast">
            Delete status page
          </button>{' '}
          <a href="/status-pages">Cancel</a>
        </form>
      </Page>,
    );
  });

  app.post('/status-pages/:id/delete', async (c) => {
    const project = owned(c);
    if (!project) return forbidden(c);
    const page = await pageOf(c, project);
    if (!page) return notFound(c);
    await writePage(store, page, null, deps.now(), webActor(c, deps));
    return c.redirect('/status-pages?done=deleted', 303);
  });

  async function slugTaken(slug: string, exceptId: string | null): Promise<boolean> {
    const other = await store.getStatusPageBySlug(slug);
    return other !== null && other.id !== exceptId;
  }

  /** The page named in the URL, if it is the current project's. */
  async function pageOf(c: C, project: Project): Promise<StatusPage | null> {
    const page = await store.getStatusPage(c.req.param('id') ?? '');
    return page && page.projectId === project.id ? page : null;
  }

  async function listPage(c: C, project: Project, values: FormValues, errors: FormErrors, status: 200 | 400) {
    const [pages, checks] = await Promise.all([
      store.listStatusPages(project.id),
      listAllChecks(store, project.id),
    ]);
    const manage = can.manage(c.get('role') ?? 'read-only');
    const done = DONE[c.req.query('done') ?? ''];
    const slug = pick(
      c.req.query('badge_check'),
      checks.map((ch) => ch.slug),
    );
    const tag = pick(c.req.query('badge_tag'), checks.flatMap((ch) => ch.tags).sort());
    return sendPage(
      c,
      <Page title="Status pages" ctx={c.var} section="status-pages">
        <h1>Status pages</h1>
        {done ? <Notice kind="ok">{done}</Notice> : null}
        <PageList pages={pages} checks={checks} manage={manage} baseUrl={baseUrl} />
        {manage ? (
          <details open={status === 400}>
            <summary>New status page</summary>
            <StatusPageForm
              ctx={c.var}
              action="/status-pages"
              submit="Create status page"
              values={values}
              errors={errors}
              checks={checks}
              baseUrl={baseUrl}
            />
          </details>
        ) : null}
        <BadgeLinks
          ctx={c.var}
          baseUrl={baseUrl}
          badgeKey={project.badgeKey}
          checks={checks}
          slug={slug}
          tag={tag}
          canManage={manage}
        />
      </Page>,
      status,
    );
  }

  async function editPage(
    c: C,
    project: Project,
    page: StatusPage,
    values: FormValues,
    errors: FormErrors,
    status: 200 | 400,
  ) {
    const checks = await listAllChecks(store, project.id);
    return sendPage(
      c,
      <Page title={`Edit ${page.title}`} ctx={c.var} section="status-pages">
        <h1>Edit status page</h1>
        <StatusPageForm
          ctx={c.var}
          action={`/status-pages/${page.id}`}
          submit="Save"
          values={values}
          errors={errors}
          checks={checks}
          baseUrl={baseUrl}
        />
        <p>
          <a href="/status-pages">Back to status pages</a>
        </p>
      </Page>,
      status,
    );
  }
}

function PageList(props: { pages: StatusPage[]; checks: Check[]; manage: boolean; baseUrl: string }) {
  const { pages, manage, baseUrl } = props;
  if (pages.length === 0) return <p class="muted">No status pages yet.</p>;
  const existing = new Set(props.checks.map((ch) => ch.id));
  return (
    <table class="compact">
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col">Public address</th>
          <th scope="col">Checks</th>
          {manage ? <th scope="col" /> : null}
        </tr>
      </thead>
      <tbody>
        {pages.map((p) => {
          const url = `${baseUrl}/status/${p.slug}`;
          return (
            <tr>
              <td>{p.title}</td>
              <td>
                <a href={`/status/${p.slug}`}>{url}</a>{' '}
                <button type="button" class="secondary outline copy" data-copy={url}>
                  Copy
                </button>
              </td>
              <td>{p.checkIds.filter((id) => existing.has(id)).length}</td>
              {manage ? (
                <td class="nowrap">
                  <a href={`/status-pages/${p.id}/edit`}>Edit</a> ·{' '}
                  <a href={`/status-pages/${p.id}/delete`}>Delete</a>
                </td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function NoProject({ ctx }: { ctx: WebVariables }) {
  return (
    <Page title="Status pages" ctx={ctx} section="status-pages">
      <h1>Status pages</h1>
      <p>You are not in a project yet. Ask an owner to add you to one.</p>
    </Page>
  );
}

/** The current project, if the user owns it. */
function owned(c: C): Project | null {
  const project = c.get('project');
  const role = c.get('role');
  return project && role && can.manage(role) ? project : null;
}

function forbidden(c: C) {
  return sendPage(
    c,
    <Page title="Not allowed" ctx={c.var} section="status-pages">
      <Notice kind="error">Only the project’s owners can change status pages and badge keys.</Notice>
    </Page>,
    403,
  );
}

function notFound(c: C) {
  return sendPage(
    c,
    <Page title="Not found" ctx={c.var} section="status-pages">
      <Notice kind="error">This status page does not exist in this project.</Notice>
      <a href="/status-pages">Back to status pages</a>
    </Page>,
    404,
  );
}

/** The wanted value if it is one of `options`, else the first option. */
function pick(wanted: string | undefined, options: string[]): string | null {
  return wanted !== undefined && options.includes(wanted) ? wanted : (options[0] ?? null);
}
