import { createApiKey, revokeApiKey } from '../../projects/keys.ts';
import type { Project, Store } from '../../store/store.ts';
import { CliError, type Command, cliActorOf, helpOrUsage, parseFlags, print, withStore } from '../io.ts';

const HELP = `Usage:
  vigil keys create [--project P] [--read-only] [--name N] [--json]
                                    create an API key (shown once)
  vigil keys list [--project P] [--json]
  vigil keys revoke ID-OR-PREFIX    revoke a key at once

P is a project name or id; without it, the only project (or "default").
`;

async function findProject(store: Store, ref: string | undefined): Promise<Project> {
  if (ref !== undefined) {
    const p = (await store.getProject(ref)) ?? (await store.getProjectByName(ref));
    if (!p) throw new CliError(`no project "${ref}" (see vigil projects list)`);
    return p;
  }
  const all = await store.listProjects();
  if (all.length === 1) return all[0]!;
  const byDefault = all.find((p) => p.name === 'default');
  if (byDefault) return byDefault;
  throw new CliError(
    all.length === 0
      ? 'no projects yet: run vigil serve once, or vigil projects create NAME'
      : 'several projects: choose one with --project',
  );
}

export const keysCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(
    rest,
    {
      json: { type: 'boolean' },
      project: { type: 'string', short: 'p' },
      'read-only': { type: 'boolean' },
      name: { type: 'string' },
    },
    HELP,
    true,
  );
  const early = helpOrUsage(sub, values.help, HELP, io);
  if (early !== null) return early;
  return withStore(io, async (store) => {
    if (sub === 'create') {
      const project = await findProject(store, values.project);
      const readOnly = values['read-only'] ?? false;
      const { key, record } = await store.transaction((tx) =>
        createApiKey(
          tx,
          project.id,
          { readOnly, name: values.name?.slice(0, 100), now: Date.now() },
          cliActorOf(io),
        ),
      );
      const data = {
        key,
        id: record.id,
        read_only: readOnly,
        project: { id: project.id, name: project.name },
        ping_key: project.pingKey,
      };
      print(
        io,
        values.json,
        data,
        `${readOnly ? 'Read-only' : 'Read-write'} API key for "${project.name}" (shown once):\n${key}`,
      );
      return 0;
    }
    if (sub === 'list') {
      const project = values.project !== undefined ? await findProject(store, values.project) : undefined;
      const keys = await store.listApiKeys(project?.id);
      const projects = new Map((await store.listProjects()).map((p) => [p.id, p.name]));
      const data = keys.map((k) => ({
        id: k.id,
        prefix: k.prefix,
        name: k.name,
        read_only: k.readOnly,
        project: { id: k.projectId, name: projects.get(k.projectId) ?? null },
        created_at: new Date(k.createdAt).toISOString(),
      }));
      const text = keys
        .map(
          (k) =>
            `${k.id}  ${k.prefix}…  ${k.readOnly ? 'read-only ' : 'read-write'}  ${projects.get(k.projectId)}  ${k.name}`,
        )
        .join('\n');
      print(io, values.json, data, text || 'no keys');
      return 0;
    }
    if (sub === 'revoke') {
      const ref = positionals[0];
      if (!ref || positionals.length > 1) throw new CliError(`give the key's id or prefix\n\n${HELP}`, 2);
      const revoked = await store.transaction(async (tx) => {
        const key = (await tx.listApiKeys()).find((k) => k.id === ref || k.prefix === ref);
        return key !== undefined && (await revokeApiKey(tx, key, Date.now(), cliActorOf(io)));
      });
      if (!revoked) throw new CliError(`no key with id or prefix "${ref}"`);
      print(io, values.json, { revoked: ref }, `revoked ${ref}`);
      return 0;
    }
    throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
  });
};
