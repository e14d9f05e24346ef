// The first user, from VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD: made once, when nobody can
// sign in yet, as an owner of every project, so a fresh install needs no CLI step.
import type { Store, User } from '../store/store.ts';
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
      for (const project of await tx.listProjects()) {
        await tx.putMembership({ userId: user.id, projectId: project.id, role: 'owner', createdAt: now });
      }
      return user;
    });
  } catch (err) {
    // another node starting at the same moment made the user first (the email is unique)
    if ((await store.listUsers()).length > 0) return null;
    throw err;
  }
}
