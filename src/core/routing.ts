// Which channels an alert about a check goes to, and why. Pure.
import { type EventKind, SEVERITIES, type Severity } from './types.ts';

/** A channel's rule: the events it takes, the severities, and optionally the tags it is limited to. */
export interface RoutableChannel {
  id: string;
  events: readonly EventKind[];
  /** the lowest severity it takes */
  minSeverity: Severity;
  /** the highest severity it takes ("everything else" channels stop below critical) */
  maxSeverity: Severity;
  /** when not empty, only checks carrying at least one of these tags */
  tags: readonly string[];
}

/** The part of a check routing reads. */
export interface RoutableCheck {
  severity: Severity;
  tags: readonly string[];
  /** channels the check names itself: they get its alerts whatever their severity and tag limits */
  channels: readonly string[];
}

export interface Route<C> {
  channel: C;
  routed: boolean;
  /** in words, e.g. "takes down alerts of severity important and above" */
  why: string;
}

/** low < important < critical */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/**
 * Every channel with whether an `event` of `check` reaches it, and why. Routing decides
 * only by rule: a broken channel still gets its row, so the alert stays in the outbox
 * history and the dispatcher fails it with the reason instead of dropping it silently.
 */
export function explainRoutes<C extends RoutableChannel>(
  event: EventKind,
  check: RoutableCheck,
  channels: readonly C[],
): Route<C>[] {
  return channels.map((channel) => ({ channel, ...decide(event, check, channel) }));
}

/** The channels an `event` of `check` goes to. */
export function channelsFor<C extends RoutableChannel>(
  event: EventKind,
  check: RoutableCheck,
  channels: readonly C[],
): C[] {
  return channels.filter((channel) => decide(event, check, channel).routed);
}

function decide(
  event: EventKind,
  check: RoutableCheck,
  c: RoutableChannel,
): { routed: boolean; why: string } {
  if (!c.events.includes(event)) {
    return { routed: false, why: `does not take ${event} alerts (takes: ${c.events.join(', ') || 'none'})` };
  }
  if (check.channels.includes(c.id)) {
    return { routed: true, why: `named by the check; takes ${event} alerts` };
  }
  const rank = severityRank(check.severity);
  if (rank < severityRank(c.minSeverity) || rank > severityRank(c.maxSeverity)) {
    return { routed: false, why: `takes severity ${severityRange(c)}; the check is ${check.severity}` };
  }
  if (c.tags.length > 0 && !c.tags.some((tag) => check.tags.includes(tag))) {
    return { routed: false, why: `limited to tags ${c.tags.join(', ')}; the check has none of them` };
  }
  const limits = c.tags.length > 0 ? ` for tags ${c.tags.join(', ')}` : '';
  return { routed: true, why: `takes ${event} alerts of severity ${severityRange(c)}${limits}` };
}

function severityRange(c: RoutableChannel): string {
  if (c.minSeverity === c.maxSeverity) return c.minSeverity;
  if (c.maxSeverity === 'critical') return `${c.minSeverity} and above`;
  if (c.minSeverity === 'low') return `${c.maxSeverity} and below`;
  return `${c.minSeverity} to ${c.maxSeverity}`;
}
