// The check pages' routes: the list, a check's detail and its live parts, the create and edit
// form with its schedule preview, and pause, resume and delete. Every route needs a signed-in
// user; every change needs a role that may write, and reaches only the current project's checks.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import {
  CheckRuleError,
  createCheck,
  deleteCheck,
  pauseOrResume,
  SlugTakenError,
  updateCheck,
} from '../../ingest/check-changes.ts';
import type { Check, Project } from '../../store/store.ts';
import { Page } from '../layout.tsx';
import { requireUser, type WebEnv } from '../session.ts';
import {
  type Ctx,
  canWrite,
  forbiddenPage,
  noProjectPage,
  notFoundPage,
  ownedCheck,
  pageCtx,
  sendFragment,
  sendPage,
  wantsFragment,
} from './checks-common.tsx';
import { CheckHeader, DeletePage, DetailPage, loadDetail, loadHeader } from './checks-detail.tsx';
import { CheckFormPage } from './checks-form.tsx';
import {
  blankForm,
  type FieldErrors,
  type FormValues,
  formFieldOf,
  parseCheckForm,
  readForm,
  sourceOwnedValues,
  valuesOf,
} from './checks-form-input.ts';
import { findPing, History, loadHistory, loadPingLog, PingBody, PingLog } from './checks-history.tsx';
import { checkRowFragment, checksListPage } from './checks-list.tsx';
import { previewFragment, previewSchedule } from './checks-preview.tsx';

const Before = z.object({ before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() });
const PingNumber = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export function checkPages(app: Hono<WebEnv>, deps: AppDeps): void {
  const { store, now } = deps;
  const baseUrl = deps.config.baseUrl;
  const auth = requireUser();

  /** Runs `fn` with the current project's check named by `:id`; 403 first for a change the role may not make. */
  const withCheck =
    (access: 'read' | 'write', fn: (c: Ctx, check: Check, project: Project) => Promise<Response>) =>
    async (c: Ctx) => {
      if (access === 'write' && !canWrite(c)) return forbiddenPage(c);
      const check = await ownedCheck(c, store);
      if (!check) return notFoundPage(c);
      return fn(c, check, c.get('project')!);
    };

  async function formPage(
    c: Ctx,
    opts: { mode: 'create' | 'edit'; check?: Check; values: FormValues; errors: FieldErrors },
  ) {
    const project = c.get('project')!;
    const check = opts.check;
    const v = opts.values;
    return sendPage(
      c,
      <CheckFormPage
        ctx={pageCtx(c)}
        mode={opts.mode}
        action={check ? `/checks/${check.id}/edit` : '/checks/new'}
        cancel={check ? `/checks/${check.id}` : '/checks'}
        title={check ? `Edit ${check.name}` : 'New check'}
        values={v}
        errors={opts.errors}
        channels={await store.listChannels(project.id)}
        preview={previewSchedule(v, now())}
        managedBy={await sourceName(check)}
      />,
      Object.keys(opts.errors).length > 0 ? 400 : 200,
    );
  }

  /** The name of the source that owns a discovered check; null for the team's own checks. */
  async function sourceName(check: Check | undefined): Promise<string | null> {
    if (!check?.origin) return null;
    return (await store.getSource(check.origin.sourceId))?.name ?? check.origin.sourceId;
  }

  /** A change the form cannot make, shown under the field it concerns. */
  function formErrors(err: unknown): FieldErrors {
    if (err instanceof SlugTakenError) return { slug: err.message };
    if (err instanceof CheckRuleError) return { [formFieldOf(err.field)]: err.problem };
    throw err;
  }

  app.get('/checks', auth, (c) => (c.get('project') ? checksListPage(c, store, now()) : noProjectPage(c)));
  app.get('/checks/preview', auth, (c) => previewFragment(c, now()));

  app.get('/checks/new', auth, (c) =>
    canWrite(c) ? formPage(c, { mode: 'create', values: blankForm(), errors: {} }) : forbiddenPage(c),
  );
  app.post('/checks/new', auth, async (c) => {
    const project = c.get('project');
    if (!project || !canWrite(c)) return forbiddenPage(c);
    const values = readForm(await c.req.parseBody({ all: true }));
    const result = parseCheckForm(values, 'create', await store.listChannels(project.id));
    if (!result.ok) return formPage(c, { mode: 'create', values, errors: result.errors });
    try {
      const t = now();
      const check = await store.transaction((tx) =>
        createCheck(tx, project.id, result.patch, { id: deps.newId(), now: t }, webActor(c, deps)),
      );
      deps.onCommitted({ check, flipId: null, queued: 0 });
      return c.redirect(`/checks/${check.id}`, 303);
    } catch (err) {
      return formPage(c, { mode: 'create', values, errors: formErrors(err) });
    }
  });

  app.get(
    '/checks/:id',
    auth,
    withCheck('read', async (c, check, project) => {
      const t = now();
      const parts = await loadDetail(store, check, t);
      return sendPage(
        c,
        <DetailPage
          ctx={pageCtx(c)}
          check={check}
          project={project}
          baseUrl={baseUrl}
          now={t}
          writable={canWrite(c)}
          {...parts}
        />,
      );
    }),
  );

  app.get(
    '/checks/:id/row',
    auth,
    withCheck('read', (c, check) => checkRowFragment(c, store, check, now())),
  );

  app.get(
    '/checks/:id/header',
    auth,
    withCheck('read', async (c, check) => {
      const t = now();
      const data = await loadHeader(store, check, t);
      return sendFragment(
        c,
        <CheckHeader check={check} data={data} ctx={pageCtx(c)} writable={canWrite(c)} now={t} />,
      );
    }),
  );

  app.get(
    '/checks/:id/history',
    auth,
    withCheck('read', async (c, check) =>
      sendFragment(
        c,
        <History
          check={check}
          data={await loadHistory(store, check)}
          ctx={pageCtx(c)}
          writable={canWrite(c)}
        />,
      ),
    ),
  );

  app.get(
    '/checks/:id/pings',
    auth,
    withCheck('read', async (c, check) => {
      const q = Before.safeParse(c.req.query());
      const before = q.success ? q.data.before : undefined;
      const log = <PingLog check={check} data={await loadPingLog(store, check, before)} />;
      if (wantsFragment(c)) return sendFragment(c, log);
      return sendPage(
        c,
        <Page title={`Pings of ${check.name}`} ctx={pageCtx(c)} section="checks">
          <p>
            <a href={`/checks/${check.id}`}>« {check.name}</a>
          </p>
          {log}
          <div id="ping-body"></div>
        </Page>,
      );
    }),
  );

  app.get(
    '/checks/:id/pings/:n',
    auth,
    withCheck('read', async (c, check) => {
      const n = PingNumber.safeParse(c.req.param('n'));
      const ping = n.success ? await findPing(store, check, n.data) : null;
      if (!ping) {
        const text = 'No such ping: it was never received or is older than the pings kept.';
        if (wantsFragment(c)) return c.text(text, 404);
        return sendPage(
          c,
          <Page title="Ping not found" ctx={pageCtx(c)} section="checks">
            <h1>Ping not found</h1>
            <p>
              {text} <a href={`/checks/${check.id}`}>Back to {check.name}</a>
            </p>
          </Page>,
          404,
        );
      }
      const body = <PingBody check={check} ping={ping} />;
      if (wantsFragment(c)) return sendFragment(c, body);
      return sendPage(
        c,
        <Page title={`Ping #${ping.n} of ${check.name}`} ctx={pageCtx(c)} section="checks">
          {body}
        </Page>,
      );
    }),
  );

  app.get(
    '/checks/:id/edit',
    auth,
    withCheck('write', (c, check) =>
      formPage(c, { mode: 'edit', check, values: valuesOf(check), errors: {} }),
    ),
  );
  app.post(
    '/checks/:id/edit',
    auth,
    withCheck('write', async (c, check, project) => {
      const typed = readForm(await c.req.parseBody({ all: true }));
      // a discovered check's source-owned fields are shown, not sent: keep them as they are
      const values = check.origin ? { ...typed, ...sourceOwnedValues(check) } : typed;
      const result = parseCheckForm(values, 'edit', await store.listChannels(project.id));
      if (!result.ok) return formPage(c, { mode: 'edit', check, values, errors: result.errors });
      try {
        const updated = await store.transaction(async (tx) => {
          // the row as it is now, not as it was when the form was read
          const fresh = (await tx.getCheck(check.id)) ?? check;
          return updateCheck(tx, fresh, result.patch, now(), webActor(c, deps));
        });
        deps.onCommitted({ check: updated, flipId: null, queued: 0 });
        return c.redirect(`/checks/${check.id}`, 303);
      } catch (err) {
        return formPage(c, { mode: 'edit', check, values, errors: formErrors(err) });
      }
    }),
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/checks/:id/${action}`,
      auth,
      withCheck('write', async (c, check) => {
        const committed = await store.transaction(async (tx) =>
          pauseOrResume(
            tx,
            (await tx.getCheck(check.id)) ?? check,
            action,
            now(),
            baseUrl,
            webActor(c, deps),
          ),
        );
        deps.onCommitted(committed);
        return c.redirect(`/checks/${check.id}`, 303);
      }),
    );
  }

  app.get(
    '/checks/:id/delete',
    auth,
    withCheck('write', (c, check) => sendPage(c, <DeletePage ctx={pageCtx(c)} check={check} />)),
  );
  app.post(
    '/checks/:id/delete',
    auth,
    withCheck('write', async (c, check) => {
      await store.transaction((tx) => deleteCheck(tx, check, now(), webActor(c, deps)));
      return c.redirect('/checks', 303);
    }),
  );
}
