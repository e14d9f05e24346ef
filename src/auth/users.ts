// Dashboard users: people who sign in with an email and a password, and the projects they
// belong to with a role (owner, member, read-only).
import type { Actor } from '../audit/actor.ts';
import { recordChange } from '../audit/audit-log.ts';
import type { Membership, Role, Tx, User } from '../store/store.ts';
import { hashPassword, passwordProblem } from './passwords.ts';

export const ROLES: readonly Role[] = ['owner', 'member', 'read-only'];

export class UserError extends Error {}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** Emails are compared and stored lower-cased and trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function emailProblem(email: string): string | null {
  const e = normalizeEmail(email);
  if (e.length > 254) return 'must be at most 254 characters';
  return EMAIL.test(e) ? null : 'must be an email address like ops@example.com';
}

/** Creates a user; throws UserError for a bad email or password, or an email already used. */
export async function createUser(tx: Tx, email: string, password: string, now: number): Promise<User> {
  const emailError = emailProblem(email);
  if (emailError) throw new UserError(`email: ${emailError}`);
  const passwordError = passwordProblem(password);
  if (passwordError) throw new UserError(`password: ${passwordError}`);
  if (await tx.getUserByEmail(email))
    throw new UserError(`a user with the email ${normalizeEmail(email)} exists`);
  const user: User = {
    id: crypto.randomUUID(),
    email: normalizeEmail(email),
    passwordHash: await hashPassword(password),
    createdAt: now,
  };
  await tx.insertUser(user);
  return user;
}

/** Sets a new password; each of the user's projects has it in its audit log (never the password). */
export async function setPassword(
  tx: Tx,
  user: User,
  password: string,
  now: number,
  actor: Actor,
): Promise<User> {
  const problem = passwordProblem(password);
  if (problem) throw new UserError(`password: ${problem}`);
  const updated = { ...user, passwordHash: await hashPassword(password) };
  await tx.updateUser(updated);
  // a new password signs out every session made with the old one
  await tx.deleteUserSessions(user.id);
  for (const m of await tx.listMemberships(user.id)) {
    await recordChange(tx, actor, {
      action: 'user.password_changed',
      projectId: m.projectId,
      target: { id: user.id, name: user.email },
      at: now,
    });
  }
  return updated;
}

/** What a role may do in its project. */
export const can = {
  /** read checks, history, incidents */
  read: (_role: Role) => true,
  /** change checks, channels, maintenance; pause, resume, acknowledge */
  write: (role: Role) => role === 'owner' || role === 'member',
  /** manage API keys, members, status pages, the project itself */
  manage: (role: Role) => role === 'owner',
};

export function membershipOf(memberships: readonly Membership[], projectId: string): Membership | undefined {
  return memberships.find((m) => m.projectId === projectId);
}
