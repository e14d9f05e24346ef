// The maintenance page: /maintenance shows the project's windows; writers add one-off and
// recurring windows, go quiet for 10 minutes or an hour, and delete windows. Windows are
// checked by the API's rules and saved through the same path, so held alerts are looked at
// again at once.

import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UUID_PATTERN } from '../../core/ids.ts';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import {
  deleteWindow,
  quietWindow,
  saveWindow,
  toWindow,
  WindowDuration,
  WindowError,
} from '../../maintenance/window-changes.ts';
import type { Maintenance } from '../../store/store.ts';
import { requireUser, type WebEnv } from '../session.ts';
import {
  type Ctx,
  canWrite,
  type FieldErrors,
  forbiddenPage,
  notFoundPage,
  pageCtx,
  readForm,
  sendPage,
} from './alerting-common.tsx';
import { blankWindowForm, readWindowForm, type WindowFormState } from './maintenance-form.ts';
import { MaintenancePage } from './maintenance-views.tsx';

const MAX_CHECKS_LISTED = 500;

export function maintenancePages(app: Hono<WebEnv>, deps: AppDeps): void {
  const { store } = deps;
  app.use('/maintenance', requireUser());
  app.use('/maintenance/*', requireUser());

  async function render(
    c: Ctx,
    opts: {
      form?: WindowFormState;
      errors?: FieldErrors;
      problem?: string;
      status?: ContentfulStatusCode;
    } = {},
  ) {
    const project = c.get('project');
    const now = deps.now();
    const windows = project ? await store.listMaintenance(project.id) : [];
    const { checks } = project
      ? await store.listChecks(project.id, {}, { limit: MAX_CHECKS_LISTED })
      : { checks: [] };
    return sendPage(
      c,
      <MaintenancePage
        ctx={pageCtx(c)}
        windows={windows}
        checks={checks}
        now={now}
        writer={canWrite(c)}
        form={opts.form ?? blankWindowForm(now)}
        errors={opts.errors ?? {}}
        problem={opts.problem}
        done={c.req.method === 'GET' ? c.req.query('done') : undefined}
      />,
      opts.status ?? 200,
    );
  }

  /** The `:id` window if it is the current project's; another project's is "not found". */
  async function owned(c: Ctx): Promise<Maintenance | null> {
    const project = c.get('project');
    const id = c.req.param('id') ?? '';
    if (!project || !UUID_PATTERN.test(id)) return null;
    const m = await store.getMaintenance(id.toLowerCase());
    return m && m.projectId === project.id ? m : null;
  }

  app.get('/maintenance', (c) => render(c));

  app.post('/maintenance', async (c) => {
    const project = c.get('project');
    if (!project || !canWrite(c)) return forbiddenPage(c, 'maintenance');
    const read = readWindowForm(await readForm(c));
    if (!read.ok) return render(c, { form: read.state, errors: read.errors, status: 400 });
    const now = deps.now();
    const m = toWindow(read.input, {
      id: deps.newId(),
      projectId: project.id,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await saveWindow(store, m, null, now, webActor(c, deps));
    } catch (err) {
      if (!(err instanceof WindowError)) throw err;
      return render(c, {
        form: read.state,
        errors: err.field ? { [err.field]: [err.message] } : {},
        ...(err.field ? {} : { problem: err.message }),
        status: err.status,
      });
    }
    return c.redirect('/maintenance?done=created', 303);
  });

  app.post('/maintenance/quiet', async (c) => {
    const project = c.get('project');
    if (!project || !canWrite(c)) return forbiddenPage(c, 'maintenance');
    const form = await readForm(c);
    const duration = WindowDuration.safeParse(Number(form.one('duration')));
    if (!duration.success) {
      const message = duration.error.issues.map((i) => i.message).join('; ');
      return render(c, { problem: `duration: ${message}`, status: 400 });
    }
    const now = deps.now();
    const m = quietWindow({ checks: [], tags: [] }, duration.data, {
      id: deps.newId(),
      projectId: project.id,
      now,
    });
    try {
      await saveWindow(store, m, null, now, webActor(c, deps));
    } catch (err) {
      if (!(err instanceof WindowError)) throw err;
      return render(c, { problem: err.message, status: err.status });
    }
    return c.redirect('/maintenance?done=quiet', 303);
  });

  app.post('/maintenance/:id/delete', async (c) => {
    const m = await owned(c);
    if (!m) return notFoundPage(c, 'maintenance', 'maintenance window');
    if (!canWrite(c)) return forbiddenPage(c, 'maintenance');
    await deleteWindow(store, m, deps.now(), webActor(c, deps));
    return c.redirect('/maintenance?done=deleted', 303);
  });
}
