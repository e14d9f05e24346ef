import type { EventKind } from './types.ts';

/** The part of a channel routing reads. */
export interface RoutableChannel {
  id: string;
  events: readonly EventKind[];
  brokenReason: string | null;
}

/**
 * Which channels a flip's event goes to: those that take the event and are not broken.
 * A broken channel (its provider refused our credentials) would only fail again; it is
 * skipped until someone fixes it, and the API shows why it is broken.
 */
export function channelsFor<C extends RoutableChannel>(event: EventKind, channels: readonly C[]): C[] {
  return channels.filter((c) => c.brokenReason === null && c.events.includes(event));
}
