// Who is in a project, with which role: the rules the dashboard and the CLI share. A project
// always keeps at least one owner, so someone can still manage its keys and members.
import type { Membership, Role, Tx } from '../store/store.ts';
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
  userId: string,
  role: Role,
  now: number,
): Promise<Membership | null> {
  const members = await tx.listMembers(projectId);
  const current = members.find((m) => m.userId === userId) ?? null;
  if (current && role !== 'owner' && isLastOwner(members, userId)) throw new LastOwnerError();
  await tx.putMembership({ userId, projectId, role, createdAt: current?.createdAt ?? now });
  return current;
}

/** Takes the user out of the project; false when they were not in it. Never the last owner. */
export async function removeMember(tx: Tx, projectId: string, userId: string): Promise<boolean> {
  const members = await tx.listMembers(projectId);
  if (!members.some((m) => m.userId === userId)) return false;
  if (isLastOwner(members, userId)) throw new LastOwnerError();
  return tx.deleteMembership(userId, projectId);
}
