// The projects page and the welcome page, as HTML: the user's projects, the current one's
// settings, ping key and members (editable by owners), and the form that creates a project.
import type { Role } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { FieldError, type FieldErrors, invalid } from './account-common.tsx';

export const ROLE_CHOICES: Role[] = ['owner', 'member', 'read-only'];

/** Which form a failed post came from, with what was typed and what is wrong with it. */
export interface FormState {
  form: 'create' | 'settings' | 'add' | 'members';
  values: Record<string, string>;
  errors: FieldErrors;
}

export interface MemberRow {
  userId: string;
  email: string;
  role: Role;
}

function RoleSelect({ label, id, value }: { label: string; id?: string; value: string | undefined }) {
  return (
    <select name="role" id={id} aria-label={label}>
      {ROLE_CHOICES.map((r) => (
        <option value={r} selected={r === value}>
          {r}
        </option>
      ))}
    </select>
  );
}

export function CreateProjectForm({ ctx, state }: { ctx: WebVariables; state?: FormState | undefined }) {
  const s = state?.form === 'create' ? state : undefined;
  return (
    <form method="post" action="/projects">
      <Csrf ctx={ctx} />
      <label>
        Name of the new project
        <input
          name="name"
          value={s?.values.name ?? ''}
          maxlength={100}
          required
          {...invalid('new-name', s?.errors.name)}
        />
        <FieldError id="new-name" error={s?.errors.name} />
      </label>
      <button type="submit">Create project</button>
    </form>
  );
}

export function WelcomePage({ ctx, state }: { ctx: WebVariables; state?: FormState }) {
  return (
    <Page title="Welcome" ctx={ctx} section="projects">
      <h1>Welcome to vigil</h1>
      <p>
        You are not in any project yet. Ask an owner of a project to add you (they need your email,{' '}
        <strong>{ctx.user?.email}</strong>), or create a project of your own: you will be its owner.
      </p>
      <article>
        <CreateProjectForm ctx={ctx} state={state} />
      </article>
    </Page>
  );
}

interface ProjectsProps {
  ctx: WebVariables;
  baseUrl: string;
  members: MemberRow[];
  state?: FormState | undefined;
}

export function ProjectsPage({ ctx, baseUrl, members, state }: ProjectsProps) {
  const { project, role } = ctx;
  return (
    <Page title="Projects" ctx={ctx} section="projects">
      <h1>Projects</h1>
      {ctx.projects.length === 0 ? (
        <p>You are not in any project yet: ask an owner to add you, or create one below.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Your role</th>
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            {ctx.projects.map((p) => (
              <tr>
                <td>{p.name}</td>
                <td>{ctx.memberships.find((m) => m.projectId === p.id)?.role}</td>
                <td>
                  {p.id === project?.id ? (
                    <span class="muted">current</span>
                  ) : (
                    <a href={`/projects?project=${encodeURIComponent(p.id)}`}>Switch to</a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {project && role ? (
        <ProjectDetails ctx={ctx} baseUrl={baseUrl} members={members} state={state} />
      ) : null}
      <article>
        <h2>New project</h2>
        <CreateProjectForm ctx={ctx} state={state} />
      </article>
    </Page>
  );
}

function ProjectDetails({ ctx, baseUrl, members, state }: ProjectsProps) {
  const project = ctx.project!;
  const owner = ctx.role === 'owner';
  const settings = state?.form === 'settings' ? state : undefined;
  return (
    <>
      <h2>{project.name}</h2>
      {owner ? (
        <article>
          <h3>Settings</h3>
          <form method="post" action="/projects/settings">
            <Csrf ctx={ctx} />
            <label>
              Name
              <input
                name="name"
                value={settings?.values.name ?? project.name}
                maxlength={100}
                required
                {...invalid('name', settings?.errors.name)}
              />
              <FieldError id="name" error={settings?.errors.name} />
            </label>
            <label>
              Silence period (seconds between reminders about one check, 60 to 604800)
              <input
                type="number"
                name="silence_period"
                min={60}
                max={604800}
                value={settings?.values.silence_period ?? String(project.silencePeriod)}
                required
                {...invalid('silence', settings?.errors.silence_period)}
              />
              <FieldError id="silence" error={settings?.errors.silence_period} />
            </label>
            <button type="submit">Save settings</button>
          </form>
        </article>
      ) : (
        <p>Silence period: {project.silencePeriod} s. Only owners change the settings and the members.</p>
      )}
      {ctx.role !== 'read-only' ? (
        <article>
          <h3>Ping key</h3>
          <p>
            <code class="copyable">{project.pingKey}</code>{' '}
            <button type="button" class="secondary outline" data-copy={project.pingKey}>
              Copy
            </button>
          </p>
          <small class="muted">
            Ping a check by its slug: <code>{`${baseUrl}/ping/${project.pingKey}/<slug>`}</code>
          </small>
        </article>
      ) : null}
      <Members ctx={ctx} members={members} state={state} />
    </>
  );
}

function Members({ ctx, members, state }: Omit<ProjectsProps, 'baseUrl'>) {
  const owner = ctx.role === 'owner';
  const add = state?.form === 'add' ? state : undefined;
  const problem = state?.form === 'members' ? state.errors.form : undefined;
  return (
    <article>
      <h3>Members</h3>
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            {owner ? <th scope="col"></th> : null}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr>
              <td>{m.email}</td>
              {owner ? (
                <td>
                  <form method="post" action={`/projects/members/${m.userId}/role`} class="inline">
                    <Csrf ctx={ctx} />
                    <RoleSelect label={`Role of ${m.email}`} value={m.role} />{' '}
                    <button type="submit" class="secondary outline">
                      Change role
                    </button>
                  </form>
                </td>
              ) : (
                <td>{m.role}</td>
              )}
              {owner ? (
                <td>
                  <form method="post" action={`/projects/members/${m.userId}/remove`} class="inline">
                    <Csrf ctx={ctx} />
                    <button type="submit" class="secondary outline" aria-label={`Remove ${m.email}`}>
                      Remove
                    </button>
                  </form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {owner ? (
        <form method="post" action="/projects/members">
          <Csrf ctx={ctx} />
          <fieldset class="grid">
            <label>
              Email of an existing user
              <input
                type="email"
                name="email"
                value={add?.values.email ?? ''}
                required
                {...invalid('member-email', add?.errors.email)}
              />
              <FieldError id="member-email" error={add?.errors.email} />
            </label>
            <label for="member-role">
              Role
              <RoleSelect id="member-role" label="Role" value={add?.values.role ?? 'member'} />
              <FieldError id="member-role" error={add?.errors.role} />
            </label>
          </fieldset>
          <button type="submit">Add member</button>
        </form>
      ) : null}
    </article>
  );
}
