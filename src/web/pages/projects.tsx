// The projects page: switch between one's projects and create one (its creator owns it); owners
// also change the current project's settings and members. And the welcome page of a user who
// is in no project yet.
import type { Hono } from 'hono';
import { z } from 'zod';
import { LastOwnerError, removeMember, setRole } from '../../auth/memberships.ts';
import { can, normalizeEmail } from '../../auth/users.ts';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import { createProject, updateProject } from '../../projects/keys.ts';
import type { Project } from '../../store/store.ts';
import { requireUser, type WebEnv } from '../session.ts';
import {
  type FieldErrors,
  forbidden,
  notFound,
  readForm,
  render,
  type WebContext,
} from './account-common.tsx';
import { type FormState, type MemberRow, ProjectsPage, WelcomePage } from './projects-view.tsx';

const Name = z.string().trim().min(1, 'give the project a name').max(100, 'at most 100 characters');
const RoleField = z.enum(['owner', 'member', 'read-only'], 'choose owner, member or read-only');

const CreateForm = z.object({ name: Name });
const SettingsForm = z.object({
  name: Name,
  silence_period: z.coerce
    .number('enter a number of seconds')
    .int('enter a whole number of seconds')
    .min(60, 'at least 60 seconds')
    .max(604_800, 'at most 7 days (604800 seconds)'),
});
const AddForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, 'enter the email of an existing user')
    .max(254, 'an email has at most 254 characters'),
  role: RoleField,
});
const RoleForm = z.object({ role: RoleField });

const taken = (name: string) => `a project named “${name}” exists already; choose another name`;

export function projectPages(app: Hono<WebEnv>, deps: AppDeps): void {
  for (const path of ['/welcome', '/projects', '/projects/*']) app.use(path, requireUser());

  async function members(projectId: string): Promise<MemberRow[]> {
    const rows = await deps.store.listMembers(projectId);
    const users = await Promise.all(rows.map((m) => deps.store.getUser(m.userId)));
    return rows.flatMap((m, i) => {
      const user = users[i];
      return user ? [{ userId: m.userId, email: user.email, role: m.role }] : [];
    });
  }

  async function show(c: WebContext, state?: FormState, status: 200 | 400 = 200) {
    const rows = c.var.project ? await members(c.var.project.id) : [];
    const page = <ProjectsPage ctx={c.var} baseUrl={deps.config.baseUrl} members={rows} state={state} />;
    return render(c, page, status);
  }

  /** the current project, when the signed-in user may manage it */
  function managed(c: WebContext): Project | null {
    const { project, role } = c.var;
    return project && role && can.manage(role) ? project : null;
  }

  const memberProblem = (c: WebContext, message: string) =>
    show(c, { form: 'members', values: {}, errors: { form: message } }, 400);

  app.get('/welcome', (c) =>
    c.var.project ? c.redirect('/checks', 303) : render(c, <WelcomePage ctx={c.var} />),
  );

  app.get('/projects', (c) => show(c));

  app.post('/projects', async (c) => {
    const form = await readForm(c, CreateForm);
    const fail = (errors: FieldErrors) => {
      const state: FormState = { form: 'create', values: form.values, errors };
      return c.var.project ? show(c, state, 400) : render(c, <WelcomePage ctx={c.var} state={state} />, 400);
    };
    if (!form.ok) return fail(form.errors);
    const user = c.var.user!;
    const now = deps.now();
    const actor = webActor(c, deps);
    const project = await deps.store.transaction(async (tx) => {
      if (await tx.getProjectByName(form.data.name)) return null;
      const p = await createProject(tx, form.data.name, now, actor);
      await setRole(tx, p.id, user, 'owner', now, actor);
      return p;
    });
    if (!project) return fail({ name: taken(form.data.name) });
    // the dashboard turns to the new project
    await deps.store.updateSession({ ...c.var.session!, projectId: project.id });
    return c.redirect('/projects', 303);
  });

  app.post('/projects/settings', async (c) => {
    const project = managed(c);
    if (!project) return forbidden(c, 'change the project’s settings');
    const form = await readForm(c, SettingsForm);
    if (!form.ok) return show(c, { form: 'settings', values: form.values, errors: form.errors }, 400);
    const { name, silence_period } = form.data;
    const actor = webActor(c, deps);
    const clash = await deps.store.transaction(async (tx) => {
      const same = await tx.getProjectByName(name);
      if (same && same.id !== project.id) return true;
      const current = await tx.getProject(project.id);
      if (current)
        await updateProject(
          tx,
          current,
          { ...current, name, silencePeriod: silence_period },
          deps.now(),
          actor,
        );
      return false;
    });
    if (clash) return show(c, { form: 'settings', values: form.values, errors: { name: taken(name) } }, 400);
    return c.redirect('/projects', 303);
  });

  app.post('/projects/members', async (c) => {
    const project = managed(c);
    if (!project) return forbidden(c, 'add members');
    const form = await readForm(c, AddForm);
    const fail = (errors: FieldErrors) => show(c, { form: 'add', values: form.values, errors }, 400);
    if (!form.ok) return fail(form.errors);
    const user = await deps.store.getUserByEmail(normalizeEmail(form.data.email));
    if (!user) {
      return fail({
        email: 'no user has this email: create the account first (vigil users create --email …)',
      });
    }
    const role = form.data.role;
    const actor = webActor(c, deps);
    const added = await deps.store.transaction(async (tx) => {
      if ((await tx.listMembers(project.id)).some((m) => m.userId === user.id)) return false;
      await setRole(tx, project.id, user, role, deps.now(), actor);
      return true;
    });
    if (!added) return fail({ email: 'already a member: change their role in the list above' });
    return c.redirect('/projects', 303);
  });

  app.post('/projects/members/:userId/role', async (c) => {
    const project = managed(c);
    if (!project) return forbidden(c, 'change members’ roles');
    const userId = z.uuid().safeParse(c.req.param('userId'));
    const form = await readForm(c, RoleForm);
    if (!form.ok) return memberProblem(c, form.errors.role ?? 'choose a role');
    const actor = webActor(c, deps);
    try {
      const changed =
        userId.success &&
        (await deps.store.transaction(async (tx) => {
          const member = await tx.getUser(userId.data);
          if (!member || !(await tx.listMembers(project.id)).some((m) => m.userId === member.id))
            return false;
          await setRole(tx, project.id, member, form.data.role, deps.now(), actor);
          return true;
        }));
      if (!changed) return notFound(c, 'member');
    } catch (err) {
      if (err instanceof LastOwnerError) return memberProblem(c, err.message);
      throw err;
    }
    return c.redirect('/projects', 303);
  });

  app.post('/projects/members/:userId/remove', async (c) => {
    const project = managed(c);
    if (!project) return forbidden(c, 'remove members');
    const userId = z.uuid().safeParse(c.req.param('userId'));
    const actor = webActor(c, deps);
    try {
      const removed =
        userId.success &&
        (await deps.store.transaction(async (tx) => {
          const member = await tx.getUser(userId.data);
          return member !== null && removeMember(tx, project.id, member, deps.now(), actor);
        }));
      if (!removed) return notFound(c, 'member');
    } catch (err) {
      if (err instanceof LastOwnerError) return memberProblem(c, err.message);
      throw err;
    }
    return c.redirect('/projects', 303);
  });
}
