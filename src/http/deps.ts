import type { Context } from 'hono';
import type { Capabilities } from '../capabilities.ts';
import type { EventBus } from '../events/bus.ts';
import type { Committed } from '../ingest/commit-transition.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import type { HttpClient } from '../notifiers/http.ts';
import type { SmtpSettings } from '../notifiers/notifier.ts';
import type { SyncNow } from '../sources/adapter.ts';
import type { StorageCondition } from '../store/storage-problem.ts';
import type { Store } from '../store/store.ts';
import type { MetricsEndpoint } from './metrics-route.ts';
import type { RequestLog } from './middleware/observe.ts';
import type { RateLimits } from './rate-limit.ts';

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
  /**
   * the rate limiters, made once per process (on Node shared with the fast ping path).
   * Absent: no limits (in-process tools and tests).
   */
  rateLimits?: RateLimits;
  /** told about changes made through the API (pause, resume, edits) */
  onCommitted: (c: Committed) => void;
  health: () => Promise<Record<string, unknown>>;
  /** why the database refuses writes and since when, while it does (Node's storage monitor); absent: nobody watches */
  storage?: () => StorageCondition | null;
  /** an error worth an operator's look; `fields` carry the request id (req_id) */
  log: (err: unknown, msg: string, fields?: Record<string, unknown>) => void;
  /** a line per request (VIGIL_ACCESS_LOG) and one per 5xx answer; absent: none */
  requestLog?: RequestLog;
  /** Prometheus metrics and who may read /metrics here; absent: /metrics answers 404 (Workers) */
  metrics?: MetricsEndpoint;
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
