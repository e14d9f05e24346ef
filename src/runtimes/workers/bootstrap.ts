// A fresh database on Workers, on an isolate's first request: the default project, the API key
// the operator chose as the secret VIGIL_BOOTSTRAP_KEY (a Worker has no terminal to print a new
// key on, as `vigil serve` does), and the first user from VIGIL_ADMIN_EMAIL/VIGIL_ADMIN_PASSWORD.
import { systemActor } from '../../audit/actor.ts';
import { createFirstAdmin } from '../../auth/admin.ts';
import type { Log } from '../../log.ts';
import { createApiKey, createProject } from '../../projects/keys.ts';
import type { Project, Store } from '../../store/store.ts';
import type { WorkerConfig } from './worker-config.ts';

export async function bootstrapWorker(
  store: Store,
  config: Pick<WorkerConfig, 'bootstrapKey' | 'admin'>,
  now: number,
  log: Log,
): Promise<void> {
  const { project, keyAdded } = await firstProjectAndKey(store, config.bootstrapKey, now);
  if (project) log.info({ project: project.id }, 'created the default project');
  if (keyAdded) {
    log.info(
      { project: keyAdded.id },
      `VIGIL_BOOTSTRAP_KEY is now the API key of project "${keyAdded.name}"; its ping key is on its page in the dashboard and in every check's ping_urls.by_slug`,
    );
  }
  const admin = config.admin && (await createFirstAdmin(store, config.admin, now));
  if (admin) log.info({ email: admin.email }, `created admin user ${admin.email}`);
  if (project && !config.bootstrapKey && !config.admin) {
    log.warn(
      {},
      'nobody can use this vigil yet: set the secret VIGIL_BOOTSTRAP_KEY (an API key) or VIGIL_ADMIN_EMAIL and VIGIL_ADMIN_PASSWORD (a dashboard user); see docs/deploy-workers.md',
    );
  }
}

/**
 * The default project when there is no project at all, and the bootstrap key while there is no
 * API key at all (so a secret set after the first request still counts, but never once the
 * installation is in use).
 */
async function firstProjectAndKey(
  store: Store,
  key: string | null,
  now: number,
): Promise<{ project: Project | null; keyAdded: Project | null }> {
  const none = { project: null, keyAdded: null };
  try {
    return await store.transaction(async (tx) => {
      const actor = systemActor('vigil at first start');
      const projects = await tx.listProjects();
      const project = projects.length === 0 ? await createProject(tx, 'default', now, actor) : null;
      if (key === null || (await tx.listApiKeys()).length > 0) return { project, keyAdded: null };
      const owner = project ?? projects.find((p) => p.name === 'default') ?? projects[0]!;
      await createApiKey(tx, owner.id, { name: 'bootstrap key (VIGIL_BOOTSTRAP_KEY)', now, key }, actor);
      return { project, keyAdded: owner };
    });
  } catch (err) {
    // two isolates on an empty database at once: a unique name or key refused the later one
    if ((await store.listProjects()).length > 0) return none;
    throw err;
  }
}
