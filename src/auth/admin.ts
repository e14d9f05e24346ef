// The first user, from VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD: made once, when nobody can
// sign in yet, as an owner of every project, so a fresh install needs no CLI step.
import { systemActor } from '../audit/actor.ts';
import type { Store, User } from '../store/store.ts';
import { setRole } from './memberships.ts';
import { createUser } from './users.ts';

/** Creates the admin when the users table is empty; null when someone exists already. */
export async function createFirstAdmin(
  store: Store,
  admin: { email: string; password: string },
  now: number,
): Promise<User | null> {
  try {
    return await store.transaction(async (tx) => {
      if ((await tx.listUsers()).length > 0) return null;
      const user = await createUser(tx, admin.email, admin.password, now);
      const actor = systemActor('VIGIL_ADMIN_EMAIL at first start');
      for (const project of await tx.listProjects()) await setRole(tx, project.id, user, 'owner', now, actor);
      return user;
    });
  } catch (err) {
    // another node starting at the same moment made the user first (the email is unique)
    if ((await store.listUsers()).length > 0) return null;
    throw err;
  }
}
