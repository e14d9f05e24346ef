// Live events for dashboards and API clients: what just happened to which check, numbered so
// a client that reconnects with Last-Event-ID gets exactly what it missed. In memory, per
// process: a recent window of events is kept; a client further behind is told to reload.
// With several nodes, each node's events are forwarded to the others (src/store/cluster.ts),
// which number them in their own sequence.
import type { Committed } from '../ingest/commit-transition.ts';

export const EVENT_TYPES = [
  'ping',
  'flip',
  'incident.opened',
  'incident.resolved',
  'incident.acknowledged',
] as const;
export type LiveEventType = (typeof EVENT_TYPES)[number];

export interface LiveEvent {
  /** `<boot>-<seq>`: increasing within one process; another boot's id means "start over" */
  id: string;
  type: LiveEventType;
  projectId: string;
  checkId: string;
  at: number;
  data: Record<string, unknown>;
}

export interface Subscription {
  /** the projects whose events it takes */
  projectIds: ReadonlySet<string>;
  /** only this check's events, when set */
  checkId?: string;
}

export type Replay = { events: LiveEvent[] } | { gone: true };

/** Events kept for replay; at a few hundred bytes each, about 10 MB at most. */
const DEFAULT_CAPACITY = 20_000;

export class EventBus {
  // random too: two nodes booting in the same millisecond must not share ids
  private readonly boot = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  private seq = 0;
  /** a ring: `buffer[(start + i) % capacity]` for i < size, oldest first */
  private readonly buffer: LiveEvent[] = [];
  private start = 0;
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private forward: ((event: Omit<LiveEvent, 'id'>) => void) | null = null;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Events published on this node also go to `fn` (the other nodes); received ones do not. */
  forwardTo(fn: (event: Omit<LiveEvent, 'id'>) => void): void {
    this.forward = fn;
  }

  publish(event: Omit<LiveEvent, 'id'>): LiveEvent {
    const e = this.append(event);
    this.forward?.(event);
    return e;
  }

  /**
   * An event another node published, for this node's clients. It gets an id of this node's
   * sequence (ids are per node: a client that moves to another node starts over) and is not
   * forwarded again, so no node sees an event twice.
   */
  receive(event: Omit<LiveEvent, 'id'>): LiveEvent {
    return this.append(event);
  }

  private append(event: Omit<LiveEvent, 'id'>): LiveEvent {
    // listed, not spread: this runs for every ping, and a literal is several times cheaper
    const e: LiveEvent = {
      id: `${this.boot}-${++this.seq}`,
      type: event.type,
      projectId: event.projectId,
      checkId: event.checkId,
      at: event.at,
      data: event.data,
    };
    if (this.buffer.length < this.capacity) this.buffer.push(e);
    else {
      this.buffer[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    }
    for (const listener of this.listeners) {
      try {
        listener(e);
      } catch {
        // one broken listener must not stop the others, nor the commit that published
      }
    }
    return e;
  }

  /** Called for every event published from now on; returns the unsubscribe function. */
  listen(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * The events after `lastId` that `sub` takes. `gone` when `lastId` is from another boot or
   * older than the window kept: the client cannot be brought up to date event by event.
   */
  since(lastId: string, sub: Subscription): Replay {
    const [boot, seqText] = lastId.split('-');
    const seq = Number(seqText);
    if (boot !== this.boot || !Number.isInteger(seq) || seq < 0 || seq > this.seq) return { gone: true };
    const oldest = this.seq - this.buffer.length + 1;
    if (seq < oldest - 1) return { gone: true };
    const events: LiveEvent[] = [];
    for (let s = seq + 1; s <= this.seq; s++) {
      const e = this.buffer[(this.start + (s - oldest)) % this.capacity]!;
      if (matches(e, sub)) events.push(e);
    }
    return { events };
  }

  /** The events a commit stands for: its ping, its flip, and an incident opened or resolved. */
  publishCommitted(c: Committed): void {
    const base = { projectId: c.check.projectId, checkId: c.check.id };
    const check = { id: c.check.id, name: c.check.name, status: c.check.status };
    if (c.ping) {
      this.publish({
        projectId: base.projectId,
        checkId: base.checkId,
        type: 'ping',
        at: c.ping.at,
        data: {
          check,
          n: c.ping.n,
          kind: c.ping.kind,
          exit_status: c.ping.exitStatus,
          duration_ms: c.ping.durationMs,
          last_ping_at: c.check.lastPingAt,
        },
      });
    }
    if (c.flip) {
      const f = c.flip;
      this.publish({
        ...base,
        type: 'flip',
        at: f.at,
        data: { check, id: f.id, from: f.from, to: f.to, reason: f.reason, event: f.event, alert: f.alert },
      });
    }
    if (c.incident) {
      this.publish({
        ...base,
        type: c.incident.change === 'opened' ? 'incident.opened' : 'incident.resolved',
        at: c.flip?.at ?? c.check.updatedAt,
        data: { check, incident_id: c.incident.id, reason: c.flip?.reason ?? null },
      });
    }
  }
}

export function matches(e: LiveEvent, sub: Subscription): boolean {
  return sub.projectIds.has(e.projectId) && (sub.checkId === undefined || sub.checkId === e.checkId);
}
