// The Cloudflare Workers home of vigil (`npx wrangler deploy`, see docs/deploy-workers.md):
// the same Hono app as on Node over a D1 database, and a Durable Object as the clock. A bad
// setting or a database that cannot be opened answers every request with a 500 that says what
// to fix, instead of a Worker that fails to start and retries in a loop.
import { ConfigError } from '../../config-env.ts';
import { ClockClient } from './clock-client.ts';
import { consoleLog } from './console-log.ts';
import { embedAssets } from './embedded-assets.ts';
import { WorkerApp } from './worker-app.ts';
import { loadWorkerConfig, type WorkerConfig } from './worker-config.ts';
import type { ExecutionContext, ScheduledController, WorkerEnv } from './worker-env.ts';

export { VigilClock } from './clock-object.ts';

embedAssets();

/** The configuration as read once per isolate (a deploy starts new isolates), or why it is bad. */
let settings: { config: Readonly<WorkerConfig> } | { problem: string } | null = null;
let opening: Promise<WorkerApp> | null = null;

function configOf(env: WorkerEnv): { config: Readonly<WorkerConfig> } | { problem: string } {
  if (settings) return settings;
  const missing = (['DB', 'CLOCK'] as const).filter((name) => env[name] === undefined);
  try {
    if (missing.length > 0) {
      throw new ConfigError(
        `the binding${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: wrangler.jsonc must declare the D1 database as "DB" and the clock Durable Object as "CLOCK"`,
      );
    }
    settings = { config: loadWorkerConfig(env) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    settings = { problem: err.message };
    consoleLog('error').error({}, `vigil cannot start: ${err.message}`);
  }
  return settings;
}

function appOf(
  env: WorkerEnv,
  config: Readonly<WorkerConfig>,
  ctx: ExecutionContext,
  origin: string,
): Promise<WorkerApp> {
  if (opening === null) {
    const log = consoleLog(config.logLevel);
    const made = WorkerApp.open(env, config, log);
    opening = made;
    made.then(
      // the clock learns where vigil is, and this isolate when its next pass is
      (app) => app.wakeClock(Date.now() + 60_000, ctx, origin),
      (err: unknown) => {
        if (opening === made) opening = null; // the next request tries again
        log.error({ err }, 'cannot open the D1 database or make its first project');
      },
    );
  }
  return opening;
}

function unavailable(text: string): Response {
  return new Response(`${text}\n`, { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

async function fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
  const settings = configOf(env);
  if ('problem' in settings) {
    return unavailable(
      `vigil cannot start: ${settings.problem}\n\nFix it in wrangler.jsonc ("vars") or with \`npx wrangler secret put NAME\`, then deploy again.`,
    );
  }
  let app: WorkerApp;
  try {
    app = await appOf(env, settings.config, ctx, new URL(request.url).origin);
  } catch (err) {
    const message = (err as Error).message;
    const hint =
      /no such table/i.test(message) && !message.includes('migrations apply')
        ? '\n\nApply the migrations first: npx wrangler d1 migrations apply vigil --remote'
        : '';
    return unavailable(`vigil cannot open its database (the D1 binding DB): ${message}${hint}`);
  }
  return app.handle(request, ctx);
}

/** The per-minute Cron Trigger: a pass of the clock, through the clock itself. */
function scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): void {
  const settings = configOf(env);
  const log = consoleLog('config' in settings ? settings.config.logLevel : 'error');
  if (!('config' in settings)) return;
  ctx.waitUntil(
    new ClockClient(env.CLOCK, log)
      .tick()
      .catch((err: unknown) => log.error({ err }, 'the cron trigger could not run the clock')),
  );
}

export default { fetch, scheduled };
