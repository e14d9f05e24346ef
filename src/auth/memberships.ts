// Who is in a project, with which role: the rules the dashboard and the CLI share. A project
// always keeps at least one owner, so someone can still manage its keys and members. Every
// change goes into the project's audit log.
import type { Actor } from '../audit/actor.ts';
import { recordChange } from '../audit/audit-log.ts';
import type { Membership, Role, Tx, User } from '../store/store.ts';
import { UserError } from './users.ts';

export class LastOwnerError extends UserError {
  constructor() {
    super('a project needs at least one owner: make someone else an owner first');
  }
}

function isLastOwner(members: readonly Membership[], userId: string): boolean {
  const owners = members.filter((m) => m.role === 'owner');
  return owners.length === 1 && owners[0]!.userId === userId;
}

/**
 * Gives the user `role` in the project, adding them when they are not in it yet. Returns the
 * membership as it was (null when they were not a member). Throws LastOwnerError rather than
 * demote the last owner.
 */
export async function setRole(
  tx: Tx,
  projectId: string,
  user: Pick<User, 'id' | 'email'>,
  role: Role,
  now: number,
  actor: Actor,
): Promise<Membership | null> {
  const members = await tx.listMembers(projectId);
  const current = members.find((m) => m.userId === user.id) ?? null;
  if (current && role !== 'owner' && isLastOwner(members, user.id)) throw new LastOwnerError();
  await tx.putMembership({ userId: user.id, projectId, role, createdAt: current?.createdAt ?? now });
  if (current?.role !== role) {
    await recordChange(tx, actor, {
      action: current ? 'user.role_changed' : 'user.added',
      projectId,
      target: { id: user.id, name: user.email },
      at: now,
      changes: { role: current ? { from: current.role, to: role } : { to: role } },
    });
  }
  return current;
}

/** Takes the user out of the project; false when they were not in it. Never the last owner. */
export async function removeMember(
  tx: Tx,
  projectId: string,
  user: Pick<User, 'id' | 'email'>,
  now: number,
  actor: Actor,
): Promise<boolean> {
  const members = await tx.listMembers(projectId);
  if (!members.some((m) => m.userId === user.id)) return false;
  if (isLastOwner(members, user.id)) throw new LastOwnerError();
  if (!(await tx.deleteMembership(user.id, projectId))) return false;
  await recordChange(tx, actor, {
    action: 'user.removed',
    projectId,
    target: { id: user.id, name: user.email },
    at: now,
  });
  return true;
}
