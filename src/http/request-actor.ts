// Who is behind a request, for the audit log: the API key it authenticated with, or the
// signed-in dashboard user; with the address it came from.
import type { Context } from 'hono';
import { type Actor, keyActor, userActor } from '../audit/actor.ts';
import type { ApiKey } from '../store/store.ts';
import type { WebEnv } from '../web/session.ts';
import { requestAddress } from './client-address.ts';
import type { AppDeps } from './deps.ts';
import type { AuthVariables } from './middleware/api-key.ts';

type Deps = Pick<AppDeps, 'clientAddress' | 'config'>;

/** The request's API key as the actor (the key authentication set on the context). */
export function apiActor(c: Context<{ Variables: AuthVariables }>, deps: Deps): Actor {
  return keyActor(c.get('apiKey'), requestAddress(c, deps));
}

/** An API key a compat route authenticated itself, as the actor. */
export function compatActor(c: Context, key: ApiKey, deps: Deps): Actor {
  return keyActor(key, requestAddress(c, deps));
}

/** The signed-in user as the actor; only on pages that require one. */
export function webActor(c: Context<WebEnv>, deps: Deps): Actor {
  const user = c.get('user');
  if (!user) throw new Error('webActor needs a signed-in user');
  return userActor(user, requestAddress(c, deps));
}
