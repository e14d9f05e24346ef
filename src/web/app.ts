// The web side of vigil: the dashboard (signed-in users), the public status pages and badges,
// and the static assets, all server-rendered with Hono JSX. Each area registers its routes
// from its own module.
import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';
import { assetRoutes } from './assets.ts';
import { requireCsrf } from './csrf.ts';
import { securityHeaders } from './security.ts';
import { loadSession, type WebEnv } from './session.ts';

export function webApp(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.use('*', securityHeaders());
  assetRoutes(app);

  // public, no session: status pages and badges
  // (register public routes here)

  app.use('*', loadSession(deps.store, deps.now));
  app.use('*', requireCsrf());

  // sign-in, sign-out
  // (register sign-in routes here)

  // signed-in pages
  // (register check pages here)
  // (register incident pages here)
  // (register channel and maintenance pages here)
  // (register status page management here)
  // (register key and project pages here)

  app.get('/', (c) => c.redirect(c.get('user') ? '/checks' : '/login', 303));
  return app;
}
