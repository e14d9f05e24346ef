import { createApiKey, createProject } from '../../projects/keys.ts';
import { CliError, type Command, cliActorOf, helpOrUsage, parseFlags, print, withStore } from '../io.ts';

const HELP = `Usage:
  vigil projects create NAME [--json]   create a project with a read-write API key
  vigil projects list [--json]
`;

export const projectsCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(rest, { json: { type: 'boolean' } }, HELP, true);
  const early = helpOrUsage(sub, values.help, HELP, io);
  if (early !== null) return early;
  return withStore(io, async (store, config) => {
    if (sub === 'create') {
      const name = positionals[0]?.trim();
      if (!name || positionals.length > 1) throw new CliError(`give one project name\n\n${HELP}`, 2);
      if (name.length > 100) throw new CliError('a project name has at most 100 characters', 2);
      if (await store.getProjectByName(name)) throw new CliError(`a project named "${name}" exists already`);
      const actor = cliActorOf(io);
      const { project, key } = await store.transaction(async (tx) => {
        const project = await createProject(tx, name, Date.now(), actor);
        return { project, ...(await createApiKey(tx, project.id, { now: Date.now() }, actor)) };
      });
      const data = { project: { id: project.id, name: project.name }, key, ping_key: project.pingKey };
      print(
        io,
        values.json,
        data,
        `Created project "${name}" (${project.id}).\n` +
          `API key (read-write, shown once): ${key}\n` +
          `Ping key: ${project.pingKey}\n` +
          `Ping by slug: ${config.baseUrl}/ping/${project.pingKey}/<check-slug>\n`,
      );
      return 0;
    }
    if (sub === 'list') {
      const projects = await store.listProjects();
      const data = projects.map((p) => ({
        id: p.id,
        name: p.name,
        ping_key: p.pingKey,
        created_at: new Date(p.createdAt).toISOString(),
      }));
      print(io, values.json, data, projects.map((p) => `${p.id}  ${p.name}`).join('\n') || 'no projects');
      return 0;
    }
    throw new CliError(`unknown subcommand "${sub}"\n\n${HELP}`, 2);
  });
};
