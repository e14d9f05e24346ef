// Who makes a change, as the audit log records it: an API key, a signed-in user, someone at the
// CLI on the server, vigil itself, a source's sync, or a ping that creates its check. Made once
// where a request or command starts, and passed down to the function that makes the change.
// An actor never holds a secret: a key is named by its id, name and prefix, a user by email.
import type { ActorKind, ApiKey, Source, User } from '../store/store.ts';

export interface Actor {
  kind: ActorKind;
  /** the key's, user's or source's id; null for the CLI, vigil itself and pings */
  id: string | null;
  /** what people read in the log */
  label: string;
  /** the client's address, for changes made over HTTP */
  address: string | null;
}

export function keyActor(key: Pick<ApiKey, 'id' | 'name' | 'prefix'>, address: string | null): Actor {
  return { kind: 'api_key', id: key.id, label: `${key.name} (${key.prefix}…)`, address };
}

export function userActor(user: Pick<User, 'id' | 'email'>, address: string | null): Actor {
  return { kind: 'user', id: user.id, label: user.email, address };
}

/** Someone running `vigil` on the server itself; `who` is the operating system's user name. */
export function cliActor(who: string | null): Actor {
  return { kind: 'cli', id: null, label: who ? `vigil CLI (${who})` : 'vigil CLI', address: null };
}

/** vigil on its own, e.g. the first project, key and admin made at first start. */
export function systemActor(label: string): Actor {
  return { kind: 'system', id: null, label, address: null };
}

/** A source's sync, which creates, changes and archives the checks of the jobs it finds. */
export function sourceActor(source: Pick<Source, 'id' | 'name'>): Actor {
  return { kind: 'source', id: source.id, label: `source ${source.name}`, address: null };
}

/** A ping to an unknown slug with ?create=1, which creates the check. */
export function pingActor(address: string | null): Actor {
  return { kind: 'ping', id: null, label: 'ping with create=1', address };
}
