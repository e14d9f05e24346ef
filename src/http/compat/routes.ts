// The compat routes in one place: the APIs of the monitors vigil replaces, each a thin shell
// over ordinary checks (docs/compat.md), and /llms.txt.
import type { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { applicationRoutes } from './applications.ts';
import { daemonRoutes } from './daemons.ts';
import { llmsRoutes } from './llms.ts';
import { pulseRoutes } from './pulse.ts';

/** Mounted after /api/v1, before the web app; none of these sub-apps has a catch-all route. */
export function mountCompatRoutes(app: Hono, deps: AppDeps): void {
  app.route('/api', pulseRoutes(deps));
  app.route('/api/daemon', daemonRoutes(deps));
  app.route('/', applicationRoutes(deps));
  app.route('/', llmsRoutes(deps));
}
