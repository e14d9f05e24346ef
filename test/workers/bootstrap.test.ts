// The first start on Workers, against D1: the default project, the operator's chosen API key
// while the database has none, and the first user while it has none.
import { describe, expect, it } from 'vitest';
import type { Log } from '../../src/log.ts';
import { authenticate } from '../../src/projects/keys.ts';
import { bootstrapWorker } from '../../src/runtimes/workers/bootstrap.ts';
import { openD1Store } from '../../src/store/d1/d1-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshD1 } from '../helpers/d1.ts';

const KEY = 'vgl_bootstrap-test-key-0123456789';
const LATER_KEY = 'vgl_a-key-set-after-the-first-start';
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

function recorder(): Log & { messages: string[] } {
  const messages: string[] = [];
  const note = (_fields: Record<string, unknown>, msg: string) => void messages.push(msg);
  return { messages, info: note, warn: note, error: note };
}

async function store(): Promise<Store> {
  return openD1Store(await freshD1());
}

describe('bootstrapWorker', () => {
  it('makes the default project with VIGIL_BOOTSTRAP_KEY as its key, and the admin as its owner', async () => {
    const s = await store();
    await bootstrapWorker(s, { bootstrapKey: KEY, admin: ADMIN }, 1000, recorder());
    const [project] = await s.listProjects();
    expect(project).toMatchObject({ name: 'default' });
    expect(await authenticate(s, KEY)).toMatchObject({ projectId: project!.id, readOnly: false });
    const [user] = await s.listUsers();
    expect(await s.listMemberships(user!.id)).toMatchObject([{ projectId: project!.id, role: 'owner' }]);
  });

  it('does nothing more on a later start', async () => {
    const s = await store();
    await bootstrapWorker(s, { bootstrapKey: KEY, admin: ADMIN }, 1000, recorder());
    await bootstrapWorker(s, { bootstrapKey: LATER_KEY, admin: null }, 2000, recorder());
    expect(await s.listProjects()).toHaveLength(1);
    expect(await s.listApiKeys()).toHaveLength(1);
    expect(await authenticate(s, LATER_KEY)).toBeNull();
  });

  it('takes a key set after the first start while the database has no key at all', async () => {
    const s = await store();
    const first = recorder();
    await bootstrapWorker(s, { bootstrapKey: null, admin: null }, 1000, first);
    expect(first.messages.at(-1)).toContain('nobody can use this vigil yet');
    await bootstrapWorker(s, { bootstrapKey: LATER_KEY, admin: null }, 2000, recorder());
    expect(await authenticate(s, LATER_KEY)).not.toBeNull();
    expect(await s.listProjects()).toHaveLength(1);
  });
});
