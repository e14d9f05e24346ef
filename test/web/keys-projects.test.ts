// The API keys and projects pages through the real app: what each role may do, keys that work
// against the API, project isolation, members and the last owner, and escaped user text.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { createUser } from '../../src/auth/users.ts';
import { createApiKey } from '../../src/projects/keys.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { signIn } from '../helpers/web.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const newKeyIn = (html: string) => /data-copy="(vgl_[^"]+)"/.exec(html)?.[1];

describe('the API keys page', () => {
  it('lists the project’s keys by prefix and access, never the keys themselves', async () => {
    const browser = await signIn(h, { role: 'read-only' });
    const res = await browser.get('/keys');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`${h.key.slice(0, 12)}…`);
    expect(html).toContain('read-only');
    expect(html).not.toContain(h.key);
    expect(html).not.toContain(h.other.key.slice(0, 12));
    // no buttons for those who cannot use them
    expect(html).not.toContain('action="/keys"');
    expect(html).not.toContain('/delete');
  });

  it('lets an owner create a key that works against the API, shown once', async () => {
    const owner = await signIn(h);
    const res = await owner.post('/keys', { name: 'deploy script', read_only: 'on' });
    expect(res.status).toBe(200);
    const key = newKeyIn(await res.text())!;
    expect(key).toBeTruthy();
    expect((await h.api('GET', '/checks', undefined, key)).status).toBe(200);
    const write = await h.api(
      'POST',
      '/checks',
      { name: 'x', schedule: { kind: 'interval', period: 60 } },
      key,
    );
    expect(write.status).toBe(403);

    const list = await (await owner.get('/keys')).text();
    expect(list).toContain('deploy script');
    expect(list).not.toContain(key);
  });

  it('shows the form again when the name is missing', async () => {
    const owner = await signIn(h);
    const res = await owner.post('/keys', { name: '  ' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('give the key a name');
  });

  it('lets an owner delete a key, which stops working at once', async () => {
    const owner = await signIn(h);
    const key = newKeyIn(await (await owner.post('/keys', { name: 'temp' })).text())!;
    const record = (await h.store.listApiKeys(h.project.id)).find((k) => key.startsWith(k.prefix))!;
    const res = await owner.post(`/keys/${record.id}/delete`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/keys');
    expect((await h.api('GET', '/checks', undefined, key)).status).toBe(401);
  });

  it('refuses members and read-only users (403)', async () => {
    const [key] = await h.store.listApiKeys(h.project.id);
    for (const role of ['member', 'read-only'] as const) {
      const browser = await signIn(h, { role });
      expect((await browser.post('/keys', { name: 'mine' })).status).toBe(403);
      expect((await browser.post(`/keys/${key!.id}/delete`)).status).toBe(403);
    }
    expect(await h.store.listApiKeys(h.project.id)).toHaveLength(2);
  });

  it('answers 404 for another project’s key, and leaves it alone', async () => {
    const owner = await signIn(h);
    const [otherKey] = await h.store.listApiKeys(h.other.project.id);
    expect((await owner.post(`/keys/${otherKey!.id}/delete`)).status).toBe(404);
    expect((await owner.post('/keys/not-an-id/delete')).status).toBe(404);
    expect((await h.api('GET', '/checks', undefined, h.other.key)).status).toBe(200);
  });
});

describe('the projects page', () => {
  it('lists the user’s projects with their roles and a way to switch', async () => {
    const browser = await signIn(h, { role: 'member', projectIds: [h.project.id, h.other.project.id] });
    const html = await (await browser.get('/projects')).text();
    expect(html).toContain('main');
    expect(html).toContain(`/projects?project=${h.other.project.id}`);
    const switched = await (await browser.get(`/projects?project=${h.other.project.id}`)).text();
    expect(switched).toContain(`/projects?project=${h.project.id}`);
    expect(switched).toContain(h.other.project.pingKey);
  });

  it('creates a project whose creator is its owner, and turns to it', async () => {
    const browser = await signIn(h, { role: 'read-only' });
    const res = await browser.post('/projects', { name: 'billing' });
    expect(res.status).toBe(303);
    const created = (await h.store.getProjectByName('billing'))!;
    expect(await h.store.listMembers(created.id)).toEqual([
      expect.objectContaining({ userId: browser.userId, role: 'owner' }),
    ]);
    const page = await (await browser.get('/projects')).text();
    expect(page).toContain('action="/projects/settings"');
    expect(page).toContain(created.pingKey);
  });

  it('refuses a name in use and an empty one, with the form again (400)', async () => {
    const browser = await signIn(h);
    const taken = await browser.post('/projects', { name: 'other' });
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain('exists already');
    expect((await browser.post('/projects', { name: '' })).status).toBe(400);
  });

  it('lets an owner change the settings, within bounds', async () => {
    const owner = await signIn(h);
    expect((await owner.post('/projects/settings', { name: 'main', silence_period: '600' })).status).toBe(
      303,
    );
    expect((await h.store.getProject(h.project.id))!.silencePeriod).toBe(600);
    for (const bad of ['59', '604801', 'soon', '']) {
      const res = await owner.post('/projects/settings', { name: 'main', silence_period: bad });
      expect(res.status, bad).toBe(400);
      expect(await res.text()).toContain('aria-invalid="true"');
    }
    const clash = await owner.post('/projects/settings', { name: 'other', silence_period: '600' });
    expect(clash.status).toBe(400);
    expect((await h.store.getProject(h.project.id))!.name).toBe('main');
  });

  it('does not let a read-only user or a member change settings or members (403)', async () => {
    for (const role of ['read-only', 'member'] as const) {
      const browser = await signIn(h, { role });
      expect((await browser.post('/projects/settings', { name: 'x', silence_period: '600' })).status).toBe(
        403,
      );
      expect((await browser.post('/projects/members', { email: browser.email, role: 'owner' })).status).toBe(
        403,
      );
      expect((await browser.post(`/projects/members/${browser.userId}/role`, { role: 'owner' })).status).toBe(
        403,
      );
    }
    expect((await h.store.getProject(h.project.id))!.name).toBe('main');
  });

  it('hides the ping key from read-only users', async () => {
    const html = await (await (await signIn(h, { role: 'read-only' })).get('/projects')).text();
    expect(html).not.toContain(h.project.pingKey);
  });
});

describe('members', () => {
  async function existingUser(email: string) {
    return h.store.transaction((tx) => createUser(tx, email, 'a long enough password', h.clock.now()));
  }

  it('an owner adds an existing user by email, changes their role and removes them', async () => {
    const owner = await signIn(h);
    const user = await existingUser('newcomer@example.com');
    expect(
      (await owner.post('/projects/members', { email: 'Newcomer@Example.com', role: 'member' })).status,
    ).toBe(303);
    expect((await h.store.listMemberships(user.id))[0]).toMatchObject({
      projectId: h.project.id,
      role: 'member',
    });
    expect(await (await owner.get('/projects')).text()).toContain('newcomer@example.com');

    const again = await owner.post('/projects/members', { email: 'newcomer@example.com', role: 'owner' });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already a member');

    expect((await owner.post(`/projects/members/${user.id}/role`, { role: 'read-only' })).status).toBe(303);
    expect((await h.store.listMemberships(user.id))[0]?.role).toBe('read-only');
    expect((await owner.post(`/projects/members/${user.id}/remove`)).status).toBe(303);
    expect(await h.store.listMemberships(user.id)).toEqual([]);
  });

  it('says what to do about an email nobody has, and a bad role', async () => {
    const owner = await signIn(h);
    const unknown = await owner.post('/projects/members', { email: 'ghost@example.com', role: 'member' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('vigil users create');
    expect((await owner.post('/projects/members', { email: owner.email, role: 'admin' })).status).toBe(400);
  });

  it('never removes or demotes the last owner (400)', async () => {
    const owner = await signIn(h);
    const demote = await owner.post(`/projects/members/${owner.userId}/role`, { role: 'member' });
    expect(demote.status).toBe(400);
    expect(await demote.text()).toContain('at least one owner');
    expect((await owner.post(`/projects/members/${owner.userId}/remove`)).status).toBe(400);
    expect((await h.store.listMemberships(owner.userId))[0]?.role).toBe('owner');

    // with a second owner, the first may step down
    const second = await signIn(h);
    expect((await owner.post(`/projects/members/${owner.userId}/role`, { role: 'member' })).status).toBe(303);
    expect((await second.post(`/projects/members/${owner.userId}/remove`)).status).toBe(303);
  });

  it('answers 404 for someone who is not in the project', async () => {
    const owner = await signIn(h);
    const outsider = await signIn(h, { projectIds: [h.other.project.id] });
    expect((await owner.post(`/projects/members/${outsider.userId}/role`, { role: 'member' })).status).toBe(
      404,
    );
    expect((await owner.post(`/projects/members/${outsider.userId}/remove`)).status).toBe(404);
    expect((await h.store.listMemberships(outsider.userId))[0]?.projectId).toBe(h.other.project.id);
  });
});

describe('user text', () => {
  it('is escaped everywhere it is shown', async () => {
    const evil = '<script>alert(1)</script>';
    const owner = await signIn(h);
    expect((await owner.post('/projects', { name: evil })).status).toBe(303);
    const created = (await h.store.getProjectByName(evil))!;
    await h.store.transaction((tx) =>
      createApiKey(tx, created.id, { name: evil, now: h.clock.now() }, systemActor('test')),
    );
    for (const path of ['/projects', '/keys']) {
      const html = await (await owner.get(path)).text();
      expect(html, path).not.toContain(evil);
      expect(html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });
});
