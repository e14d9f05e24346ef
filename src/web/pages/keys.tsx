// The API keys page: the current project's keys. Owners create them (the key is shown once:
// only its hash is kept) and delete them; everyone else sees the list.
import type { Hono } from 'hono';
import { z } from 'zod';
import { can } from '../../auth/users.ts';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import { createApiKey, revokeApiKey } from '../../projects/keys.ts';
import type { ApiKey } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import { Instant } from '../render.tsx';
import { requireUser, type WebEnv, type WebVariables } from '../session.ts';
import {
  FieldError,
  type FieldErrors,
  forbidden,
  invalid,
  notFound,
  readForm,
  render,
} from './account-common.tsx';

const KeyForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'give the key a name that says where it is used, e.g. "deploy script"')
    .max(100, 'at most 100 characters'),
  read_only: z.literal('on', 'tick the box or leave it empty').optional(),
});

interface KeysProps {
  ctx: WebVariables;
  keys: ApiKey[];
  created?: { key: string; record: ApiKey };
  values?: Record<string, string>;
  errors?: FieldErrors;
}

function KeysPage({ ctx, keys, created, values = {}, errors = {} }: KeysProps) {
  const manage = ctx.role !== null && can.manage(ctx.role);
  return (
    <Page title="API keys" ctx={ctx} section="keys">
      <h1>API keys</h1>
      <p class="muted">
        Keys for the API of <strong>{ctx.project?.name}</strong>: send one as <code>X-Api-Key</code> or{' '}
        <code>Authorization: Bearer</code>. A read-only key reads but changes nothing.
      </p>
      {created ? (
        <Notice kind="ok">
          <p>
            Created the {created.record.readOnly ? 'read-only' : 'read-write'} key “{created.record.name}”.
            Copy it now: it is not shown again.
          </p>
          <p>
            <code class="copyable">{created.key}</code>{' '}
            <button type="button" class="secondary outline" data-copy={created.key}>
              Copy
            </button>
          </p>
        </Notice>
      ) : null}
      {keys.length === 0 ? (
        <p>This project has no API keys.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Access</th>
              <th scope="col">Created</th>
              {manage ? <th scope="col"></th> : null}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.readOnly ? 'read-only' : 'read-write'}</td>
                <td>
                  <Instant at={k.createdAt} />
                </td>
                {manage ? (
                  <td>
                    <form method="post" action={`/keys/${k.id}/delete`} class="inline">
                      <Csrf ctx={ctx} />
                      <button type="submit" class="secondary outline" aria-label={`Delete key ${k.name}`}>
                        Delete
                      </button>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage ? (
        <article>
          <h2>New key</h2>
          <form method="post" action="/keys">
            <Csrf ctx={ctx} />
            <label>
              Name
              <input
                name="name"
                value={values.name ?? ''}
                maxlength={100}
                required
                {...invalid('name', errors.name)}
              />
              <FieldError id="name" error={errors.name} />
            </label>
            <label>
              <input type="checkbox" name="read_only" checked={values.read_only === 'on'} />
              Read-only
            </label>
            <button type="submit">Create key</button>
          </form>
        </article>
      ) : (
        <p class="muted">Only owners of this project create and delete keys.</p>
      )}
    </Page>
  );
}

export function keyPages(app: Hono<WebEnv>, deps: AppDeps): void {
  app.use('/keys', requireUser());
  app.use('/keys/*', requireUser());

  app.get('/keys', async (c) => {
    const project = c.var.project;
    if (!project) return c.redirect('/welcome', 303);
    return render(c, <KeysPage ctx={c.var} keys={await deps.store.listApiKeys(project.id)} />);
  });

  app.post('/keys', async (c) => {
    const { project, role } = c.var;
    if (!project || !role || !can.manage(role)) return forbidden(c, 'create API keys');
    const form = await readForm(c, KeyForm);
    if (!form.ok) {
      const keys = await deps.store.listApiKeys(project.id);
      return render(c, <KeysPage ctx={c.var} keys={keys} values={form.values} errors={form.errors} />, 400);
    }
    const created = await deps.store.transaction((tx) =>
      createApiKey(
        tx,
        project.id,
        { name: form.data.name, readOnly: form.data.read_only === 'on', now: deps.now() },
        webActor(c, deps),
      ),
    );
    const keys = await deps.store.listApiKeys(project.id);
    return render(c, <KeysPage ctx={c.var} keys={keys} created={created} />);
  });

  app.post('/keys/:id/delete', async (c) => {
    const { project, role } = c.var;
    if (!project || !role || !can.manage(role)) return forbidden(c, 'delete API keys');
    const id = z.uuid().safeParse(c.req.param('id'));
    // only this project's keys: another project's key id is as unknown as a made-up one
    const key = id.success && (await deps.store.listApiKeys(project.id)).find((k) => k.id === id.data);
    if (!key) return notFound(c, 'API key');
    await deps.store.transaction((tx) => revokeApiKey(tx, key, deps.now(), webActor(c, deps)));
    return c.redirect('/keys', 303);
  });
}
