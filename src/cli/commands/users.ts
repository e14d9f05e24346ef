import { z } from 'zod';
import { LastOwnerError, removeMember, setRole } from '../../auth/memberships.ts';
import { passwordProblem } from '../../auth/passwords.ts';
import { createUser, emailProblem, normalizeEmail, setPassword, UserError } from '../../auth/users.ts';
import type { Project, Role, Store, User } from '../../store/store.ts';
import { CliError, type Command, cliActorOf, type Io, parseFlags, print, withStore } from '../io.ts';
import { readPassword as readPasswordFromTerminal } from './password-input.ts';

const HELP = `Usage:
  vigil users create --email E [--project P] [--role R] [--json]
                                    create a dashboard user and add them to a project
  vigil users ls [--json]           users with their projects and roles
  vigil users passwd --email E      set a user's password
  vigil users add --email E --project P --role R
                                    add a user to a project, or change their role in it
  vigil users remove --email E --project P
                                    take a user out of a project

P is a project name or id; without it, create uses the first project.
R is owner, member or read-only (create: owner by default).
The password is read from stdin: one line when piped, typed twice at a terminal.
`;

const RoleFlag = z.enum(['owner', 'member', 'read-only']);

/** Asks for a new password; the CLI reads stdin, tests pass their own. */
export type ReadPassword = (io: Io) => Promise<string>;

function role(value: string | undefined, fallback?: Role): Role {
  if (value === undefined) {
    if (fallback) return fallback;
    throw new CliError(`give the role with --role owner|member|read-only\n\n${HELP}`, 2);
  }
  const parsed = RoleFlag.safeParse(value);
  if (!parsed.success) throw new CliError(`--role must be owner, member or read-only (got "${value}")`, 2);
  return parsed.data;
}

function email(value: string | undefined): string {
  if (value === undefined) throw new CliError(`give the user's email with --email\n\n${HELP}`, 2);
  const problem = emailProblem(value);
  if (problem) throw new CliError(`--email ${problem} (got "${value}")`, 2);
  return normalizeEmail(value);
}

async function findUser(store: Store, address: string): Promise<User> {
  const user = await store.getUserByEmail(address);
  if (!user) throw new CliError(`no user with the email ${address} (see vigil users ls)`);
  return user;
}

async function findProject(store: Store, ref: string | undefined): Promise<Project> {
  if (ref !== undefined) {
    const p = (await store.getProject(ref)) ?? (await store.getProjectByName(ref));
    if (!p) throw new CliError(`no project "${ref}" (see vigil projects list)`);
    return p;
  }
  const first = (await store.listProjects())[0];
  if (!first) throw new CliError('no projects yet: run vigil serve once, or vigil projects create NAME');
  return first;
}

async function newPassword(read: ReadPassword, io: Io): Promise<string> {
  const password = await read(io);
  const problem = passwordProblem(password);
  if (problem) throw new CliError(`the password ${problem}`, 2);
  return password;
}

/** Store errors the user can fix (an email in use, the last owner) as CLI errors. */
async function fixable<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError) throw new CliError(err.message, err instanceof LastOwnerError ? 1 : 2);
    throw err;
  }
}

export function makeUsersCommand(readPassword: ReadPassword): Command {
  return async (args, io) => {
    const [sub, ...rest] = args;
    const { values, positionals } = parseFlags(
      rest,
      {
        json: { type: 'boolean' },
        email: { type: 'string', short: 'e' },
        project: { type: 'string', short: 'p' },
        role: { type: 'string', short: 'r' },
      },
      HELP,
    );
    if (sub === undefined) {
      io.err(HELP);
      return 2;
    }
    if (values.help || sub === '--help' || sub === '-h') {
      io.out(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new CliError(`unexpected "${positionals[0]}"\n\n${HELP}`, 2);
    if (!['create', 'ls', 'list', 'passwd', 'add', 'remove'].includes(sub)) {
      throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
    }
    return withStore(io, async (store) => {
      if (sub === 'ls' || sub === 'list') {
        const projects = new Map((await store.listProjects()).map((p) => [p.id, p.name]));
        const data = [];
        for (const u of await store.listUsers()) {
          const memberships = await store.listMemberships(u.id);
          data.push({
            id: u.id,
            email: u.email,
            created_at: new Date(u.createdAt).toISOString(),
            projects: memberships.map((m) => ({
              id: m.projectId,
              name: projects.get(m.projectId),
              role: m.role,
            })),
          });
        }
        const text = data
          .map(
            (u) =>
              `${u.email}  ${u.projects.map((p) => `${p.name} (${p.role})`).join(', ') || '(no project)'}`,
          )
          .join('\n');
        print(io, values.json, data, text || 'no users');
        return 0;
      }
      const address = email(values.email);
      if (sub === 'create') {
        const r = role(values.role, 'owner');
        const project = await findProject(store, values.project);
        if (await store.getUserByEmail(address))
          throw new CliError(`a user with the email ${address} exists already`);
        const password = await newPassword(readPassword, io);
        const now = Date.now();
        const user = await fixable(() =>
          store.transaction(async (tx) => {
            const u = await createUser(tx, address, password, now);
            await setRole(tx, project.id, u, r, now, cliActorOf(io));
            return u;
          }),
        );
        const data = {
          id: user.id,
          email: user.email,
          project: { id: project.id, name: project.name },
          role: r,
        };
        print(io, values.json, data, `Created ${user.email}, ${r} of "${project.name}".`);
        return 0;
      }
      const user = await findUser(store, address);
      if (sub === 'passwd') {
        const password = await newPassword(readPassword, io);
        await fixable(() =>
          store.transaction((tx) => setPassword(tx, user, password, Date.now(), cliActorOf(io))),
        );
        print(io, values.json, { email: user.email }, `Changed the password of ${user.email}.`);
        return 0;
      }
      if (values.project === undefined) throw new CliError(`give the project with --project\n\n${HELP}`, 2);
      const project = await findProject(store, values.project);
      if (sub === 'add') {
        const r = role(values.role);
        const before = await fixable(() =>
          store.transaction((tx) => setRole(tx, project.id, user, r, Date.now(), cliActorOf(io))),
        );
        const data = { email: user.email, project: { id: project.id, name: project.name }, role: r };
        const what = before ? `changed from ${before.role} to ${r}` : `added as ${r}`;
        print(io, values.json, data, `${user.email} in "${project.name}": ${what}.`);
        return 0;
      }
      const removed = await fixable(() =>
        store.transaction((tx) => removeMember(tx, project.id, user, Date.now(), cliActorOf(io))),
      );
      if (!removed) throw new CliError(`${user.email} is not in "${project.name}"`);
      print(
        io,
        values.json,
        { removed: user.email, project: project.name },
        `Removed ${user.email} from "${project.name}".`,
      );
      return 0;
    });
  };
}

export const usersCommand: Command = makeUsersCommand(readPasswordFromTerminal);
