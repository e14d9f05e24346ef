// The web side of vigil: the dashboard (signed-in users), the public status pages and badges,
// and the static assets, all server-rendered with Hono JSX. Each area registers its routes
// from its own module.
import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';
import { bodyLimit } from '../http/middleware/body-limit.ts';
import { assetRoutes } from './assets.ts';
import { requireCsrf } from './csrf.ts';
import { channelPages } from './pages/channels.tsx';
import { checkPages } from './pages/checks.tsx';
import { incidentPages } from './pages/incidents.tsx';
import { keyPages } from './pages/keys.tsx';
import { maintenancePages } from './pages/maintenance.tsx';
import { projectPages } from './pages/projects.tsx';
import { signInRoutes } from './pages/sign-in.tsx';
import { sourcePages } from './pages/sources.tsx';
import { statusPageRoutes } from './pages/status-pages.tsx';
import { badgeRoutes } from './public/badges.ts';
import { publicStatusRoutes } from './public/status.tsx';
import { securityHeaders } from './security.ts';
import { loadSession, type WebEnv } from './session.ts';

const FORM_BODY_LIMIT = 64 * 1024;

export function webApp(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.use('*', securityHeaders());
  assetRoutes(app);

  // public, no session: status pages and badges
  publicStatusRoutes(app, deps);
  badgeRoutes(app, deps);

  // forms are small; a large body is refused before it is read
  app.use(
    '*',
    bodyLimit({
      maxSize: FORM_BODY_LIMIT,
      onError: (c) => c.text(`The form is larger than ${FORM_BODY_LIMIT / 1024} KB.`, 413),
    }),
  );
  app.use('*', async function storageCondition(c, next) {
    c.set('storage', deps.storage?.() ?? null);
    await next();
  });
  app.use('*', loadSession(deps.store, deps.now));
  app.use('*', requireCsrf());

  // sign-in, sign-out
  signInRoutes(app, deps);

  // signed-in pages
  checkPages(app, deps);
  sourcePages(app, deps);
  incidentPages(app, deps);
  channelPages(app, deps);
  maintenancePages(app, deps);
  statusPageRoutes(app, deps);
  keyPages(app, deps);
  projectPages(app, deps);

  app.get('/', (c) => {
    if (!c.get('user')) return c.redirect('/login', 303);
    return c.redirect(c.get('project') ? '/checks' : '/welcome', 303);
  });
  return app;
}
