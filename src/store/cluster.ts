// What nodes on one database tell each other, so that work found on one node is not left
// waiting for another node's next poll, and live events reach dashboards on every node.
// Messages are hints, never the truth: a lost one costs at most the loops' usual sleep (the
// sweep looks at the database at least once a second, the dispatcher every few seconds), and a
// lost live event costs a dashboard one update until its next refresh.
import type { LiveEvent } from '../events/bus.ts';

export type ClusterMessage =
  /** a deadline (or reminder, or release) at `at` may be earlier than others planned to wake */
  | { kind: 'deadline'; at: number }
  /** notifications were queued: a dispatcher with free slots may claim them */
  | { kind: 'queued' }
  /** a live event published on the sending node, for the other nodes' buses */
  | { kind: 'event'; event: Omit<LiveEvent, 'id'> };

export interface Cluster {
  /** Tells every other node (never this one). Best effort: never throws, may drop. */
  send(message: ClusterMessage): void;
  /** Called with each message another node sent; returns the function that stops it. */
  listen(listener: (message: ClusterMessage) => void): () => void;
  /** whether messages flow right now (for /healthz); a single node is always connected */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** One node alone (SQLite): nobody to tell, nobody to hear from. */
export const singleNode: Cluster = {
  send() {},
  listen: () => () => {},
  connected: true,
  close: async () => {},
};
