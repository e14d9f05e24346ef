import type { Context } from 'hono';
import type { Capabilities } from '../capabilities.ts';
import type { EventBus } from '../events/bus.ts';
import type { Committed } from '../ingest/commit-transition.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import type { HttpClient } from '../notifiers/http.ts';
import type { SmtpSettings } from '../notifiers/notifier.ts';
import type { SyncNow } from '../sources/adapter.ts';
import type { Store } from '../store/store.ts';

/** Everything the HTTP app needs, passed in once (no globals, no env reads). */
export interface AppDeps {
  store: Store;
  ingestor: Ingestor;
  /** for "send a test alert" */
  http: HttpClient;
  config: {
    baseUrl: string;
    pingBodyLimit: number;
    trustProxy: boolean;
    /** for test alerts to email channels */
    smtp?: SmtpSettings | null;
    /** seconds without a heartbeat before a compat-API daemon is stale; default 60 */
    daemonStaleAfter?: number;
  };
  now: () => number;
  newId: () => string;
  /** the TCP peer's address; the runtime entry point knows how to get it */
  clientAddress: (c: Context) => string | null;
  /** told about changes made through the API (pause, resume, edits) */
  onCommitted: (c: Committed) => void;
  health: () => Promise<Record<string, unknown>>;
  log: (err: unknown, msg: string) => void;
  /** live events for SSE clients; every commit is published here */
  bus: EventBus;
  /** aborted when the server shuts down: long-lived responses (event streams) end then */
  shutdown?: AbortSignal;
  /** syncs a source now (POST /api/v1/sources/:id/sync); absent where sources cannot run */
  syncSource?: SyncNow;
  /**
   * what the runtime can reach; channel and source kinds it cannot are refused when made.
   * Absent: everything (Node).
   */
  capabilities?: Capabilities;
}
