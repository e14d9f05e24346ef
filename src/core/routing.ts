import type { EventKind } from './types.ts';

/** The part of a channel routing reads. */
export interface RoutableChannel {
  id: string;
  events: readonly EventKind[];
}

/**
 * Which channels a flip's event goes to: those whose `events` list it. Routing is by events
 * only: a broken channel still gets its row, so the alert is in the outbox history; the
 * dispatcher fails that row with the reason instead of calling the provider. Notifications
 * are never dropped silently.
 */
export function channelsFor<C extends RoutableChannel>(event: EventKind, channels: readonly C[]): C[] {
  return channels.filter((c) => c.events.includes(event));
}
