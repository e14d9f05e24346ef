// The Cluster on PostgreSQL: LISTEN/NOTIFY on one channel of the database every node uses.
// One dedicated connection per node does both (a pooled connection cannot LISTEN: the pool
// hands it to someone else). It reconnects by itself with backoff; while it is down, messages
// are dropped, which costs only latency (see cluster.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Cluster, ClusterMessage } from '../cluster.ts';

export interface PgClusterOptions {
  /** the LISTEN/NOTIFY channel (default `vigil`); every node of one deployment uses the same */
  channel?: string;
  /** told about connection trouble and dropped messages; the cluster carries on by itself */
  onError?: (err: Error, what: string) => void;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/**
 * NOTIFY payloads must be shorter than 8000 bytes. Messages sent in the same event-loop turn
 * go out together, packed into as few payloads under this size as they fit in (one statement
 * for all of them), instead of one NOTIFY each: a ping is one live event, and at thousands of
 * pings a second one NOTIFY per ping would cost more than the ping.
 */
export const MAX_PAYLOAD_BYTES = 7900;

/** the application_name of every node's LISTEN connection */
export const APP_NAME = 'vigil-cluster';

interface Envelope {
  /** the sending process: its own messages come back to it, and are dropped */
  o: string;
  /** numbered, because PostgreSQL folds identical payloads of one transaction into one */
  s: number;
  m: ClusterMessage[];
}

export class PgCluster implements Cluster {
  private readonly origin = randomBytes(8).toString('hex');
  private readonly ownPrefix = `{"o":"${this.origin}",`;
  private readonly channel: string;
  private readonly listeners = new Set<(m: ClusterMessage) => void>();
  private client: pg.Client | null = null;
  private generation = 0;
  private closing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private pending: ClusterMessage[] = [];
  private flushScheduled = false;
  /** NOTIFYs go out one statement at a time, in order */
  private sending: Promise<void> = Promise.resolve();
  private seq = 0;
  connected = false;

  constructor(
    private readonly url: string,
    private readonly options: PgClusterOptions = {},
  ) {
    this.channel = options.channel ?? 'vigil';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new Error(`bad channel name ${this.channel}`);
    this.retryMs = options.reconnectMinMs ?? 100;
  }

  /** Connects and starts listening; a failure is reported and retried in the background. */
  async open(): Promise<this> {
    await this.connect();
    return this;
  }

  listen(listener: (m: ClusterMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(message: ClusterMessage): void {
    if (this.closing) return;
    this.pending.push(message);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      this.sending = this.sending.then(() => this.notify(batch));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    // what was sent before close() still goes out
    await new Promise((resolve) => setImmediate(resolve));
    await this.sending;
    this.generation++;
    const client = this.client;
    this.client = null;
    this.connected = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    // named, so an operator can tell it from the pool's connections in pg_stat_activity
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, application_name: APP_NAME });
    let dead = false;
    const lost = (err?: Error) => {
      // 'error' and 'end' both come for one failure; an older connection is already replaced
      if (dead || generation !== this.generation) return;
      dead = true;
      this.connected = false;
      this.client = null;
      if (err) this.options.onError?.(err, 'the LISTEN connection failed; reconnecting');
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload) this.receive(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      lost(err as Error);
      return;
    }
    if (generation !== this.generation || this.closing) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.connected = true;
    this.retryMs = this.options.reconnectMinMs ?? 100;
  }

  private scheduleReconnect(): void {
    if (this.closing || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.reconnectMaxMs ?? 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private receive(payload: string): void {
    // our own NOTIFYs come back too: recognised by their first bytes, without parsing them
    if (payload.startsWith(this.ownPrefix)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return; // not ours: someone else's NOTIFY on the same channel
    }
    if (envelope.o === this.origin || !Array.isArray(envelope.m)) return;
    for (const message of envelope.m) {
      for (const listener of this.listeners) {
        try {
          listener(message);
        } catch {
          // one listener's failure must not stop the others
        }
      }
    }
  }

  private async notify(batch: ClusterMessage[]): Promise<void> {
    const client = this.client;
    if (!client || batch.length === 0) return;
    const payloads = this.pack(coalesce(batch));
    if (payloads.length === 0) return;
    try {
      // pg_notify over an array: every payload of the batch in one round trip
      await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [this.channel, payloads]);
    } catch (err) {
      // the connection's own error handler reconnects; these messages are lost (hints only)
      this.options.onError?.(err as Error, 'NOTIFY failed; messages dropped');
    }
  }

  /** The messages as JSON envelopes, each under MAX_PAYLOAD_BYTES. */
  private pack(messages: ClusterMessage[]): string[] {
    const payloads: string[] = [];
    let parts: string[] = [];
    let size = 0;
    const overhead = 64; // the envelope around the messages: origin, number, brackets
    const close = () => {
      if (parts.length === 0) return;
      payloads.push(`{"o":"${this.origin}","s":${++this.seq},"m":[${parts.join(',')}]}`);
      parts = [];
      size = 0;
    };
    for (const message of messages) {
      const json = JSON.stringify(message);
      const bytes = Buffer.byteLength(json);
      if (bytes + overhead > MAX_PAYLOAD_BYTES) {
        this.options.onError?.(
          new Error(`a ${message.kind} message of ${bytes} bytes does not fit in a NOTIFY`),
          'message dropped',
        );
        continue;
      }
      if (size + bytes + 1 + overhead > MAX_PAYLOAD_BYTES) close();
      parts.push(json);
      size += bytes + 1;
    }
    close();
    return payloads;
  }
}

/** Wake-ups say the same thing however often they are repeated: the earliest deadline, one "queued". */
function coalesce(batch: ClusterMessage[]): ClusterMessage[] {
  const out: ClusterMessage[] = [];
  let deadline: number | null = null;
  let queued = false;
  for (const m of batch) {
    if (m.kind === 'deadline') deadline = deadline === null ? m.at : Math.min(deadline, m.at);
    else if (m.kind === 'queued') queued = true;
    else out.push(m);
  }
  if (deadline !== null) out.unshift({ kind: 'deadline', at: deadline });
  if (queued) out.unshift({ kind: 'queued' });
  return out;
}

/** Opens the cluster of the database at `url`: listening once this resolves, unless it failed. */
export function openPgCluster(url: string, options: PgClusterOptions = {}): Promise<Cluster> {
  return new PgCluster(url, options).open();
}
