// What vigil reports on /metrics: pings, flips, deliveries, sweeps and HTTP requests as they
// happen, and the checks per status and the outbox depth read from the store at each scrape.
// The names and labels are documented in docs/operations.md ("Metrics"). Runtime-neutral;
// the Node process's own numbers are added by src/node/process-metrics.ts.
import { type PingKind, STATUSES, type Status } from '../core/types.ts';
import type { StatusCounts } from '../store/store.ts';
import { type CounterCell, type Family, type GaugeCell, type HistogramCell, Registry } from './registry.ts';

export const ROUTE_GROUPS = ['ping', 'api', 'compat', 'web', 'other'] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

const PING_KINDS = [
  'success',
  'start',
  'fail',
  'log',
  'exit',
  'warn',
  'unknown',
] as const satisfies readonly (PingKind | 'unknown')[];
/** the ingestor's outcomes, plus pings refused before they reached it */
export type PingResult = 'ok' | 'ignored' | 'not-found' | 'rejected';
const PING_RESULTS = ['ok', 'ignored', 'not-found', 'rejected'] as const satisfies readonly PingResult[];

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** seconds; a ping is answered in well under a millisecond, a dashboard page in a few */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** seconds from a deadline to the sweep that acted on it */
const SWEEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * How long one reading of the checks per status serves scrapes. On SQLite the count holds the
 * event loop (a million checks: 0.13 s of CPU, measured), so several Prometheus servers scraping
 * every few seconds share one reading instead of each paying for it.
 */
const COUNTS_MAX_AGE_MS = 10_000;

/** `read`, called at most once per `maxAgeMs` (callers meanwhile share its last answer). */
function cachedFor<T>(maxAgeMs: number, read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    const now = performance.now();
    if (last === null || now - last.at >= maxAgeMs) {
      const value = read();
      last = { at: now, value };
      // a failed reading is not kept: the next scrape tries again
      value.catch(() => {
        if (last?.value === value) last = null;
      });
    }
    return last.value;
  };
}

/** Which group a request counts under, by its path. */
export function routeGroup(path: string): RouteGroup {
  if (path.startsWith('/ping/') || path === '/ping') return 'ping';
  if (path.startsWith('/api/v1/') || path === '/api/v1') return 'api';
  // the compat APIs (docs/compat.md) and /llms.txt
  if (path.startsWith('/api/') || path.startsWith('/heartbeat/') || path === '/llms.txt') return 'compat';
  if (path === '/healthz' || path === '/metrics') return 'other';
  return 'web';
}

/** What the metrics read when scraped. */
export interface MetricSources {
  /** checks per status and the outbox depth (one store query) */
  counts?: () => Promise<StatusCounts>;
  /** the deadline scheduler: its last sweep and its worst lag of the last minute */
  sweep?: () => { lastAt: number | null; maxRecentLagMs: number };
  /** whether the database refuses writes right now (disk full, read-only) */
  refusingWrites?: () => boolean;
}

export class VigilMetrics {
  readonly registry = new Registry();
  private readonly pings: Record<(typeof PING_KINDS)[number], Partial<Record<PingResult, CounterCell>>>;
  private readonly flips: Family<CounterCell>;
  private readonly attempts: Family<CounterCell>;
  private readonly http: Record<RouteGroup, HistogramCell[]>;
  private readonly sweeps: CounterCell;
  private readonly swept: CounterCell;
  private readonly sweepLag: HistogramCell;

  constructor(sources: MetricSources = {}) {
    const r = this.registry;
    const pings = r.counter(
      'vigil_pings_total',
      'Pings received, by kind and result (ok, ignored, not_found, rejected: refused before it was read, e.g. 400, 413, 429, 503).',
      ['kind', 'result'],
    );
    // Every cell made up front: counting a ping is then two property reads and an increment.
    // A refused ping was not read, so its kind is unknown; a read one is never refused.
    this.pings = Object.fromEntries(
      PING_KINDS.map((kind) => [
        kind,
        Object.fromEntries(
          PING_RESULTS.filter((res) => (kind === 'unknown') === (res === 'rejected')).map((res) => [
            res,
            pings.labels(kind, res.replace('-', '_')),
          ]),
        ),
      ]),
    ) as VigilMetrics['pings'];
    this.flips = r.counter('vigil_flips_total', 'Status changes committed by this node, by new status.', [
      'to',
    ]);
    for (const s of STATUSES) this.flips.labels(s);
    this.attempts = r.counter(
      'vigil_notification_attempts_total',
      'Delivery attempts made by this node, by channel kind and outcome (delivered, retry, failed).',
      ['channel_kind', 'outcome'],
    );
    const http = r.histogram(
      'vigil_http_request_duration_seconds',
      'Time from a request to its response (headers), by route group and status class.',
      ['group', 'status'],
      HTTP_BUCKETS,
    );
    this.http = Object.fromEntries(
      ROUTE_GROUPS.map((g) => [g, STATUS_CLASSES.map((cls) => http.labels(g, cls))]),
    ) as Record<RouteGroup, HistogramCell[]>;
    this.sweeps = r.counter('vigil_sweeps_total', 'Deadline sweeps run by this node.').labels();
    this.swept = r
      .counter('vigil_swept_checks_total', 'Checks past their deadline that sweeps of this node claimed.')
      .labels();
    this.sweepLag = r
      .histogram(
        'vigil_sweep_lag_seconds',
        'Per sweep that found checks due: how long after its deadline the most overdue one was claimed.',
        [],
        SWEEP_BUCKETS,
      )
      .labels();

    const checks = r.gauge(
      'vigil_checks',
      'Checks per status (archived checks count as paused); read at most every 10 s.',
      ['status'],
    );
    const checkCells = new Map<Status, GaugeCell>(STATUSES.map((s) => [s, checks.labels(s)]));
    const pending = r
      .gauge('vigil_outbox_pending', 'Notifications waiting in the outbox to be delivered (or retried).')
      .labels();
    if (sources.counts) {
      const read = cachedFor(COUNTS_MAX_AGE_MS, sources.counts);
      r.onCollect(async () => {
        const counts = await read();
        for (const [status, cell] of checkCells) cell.set(counts.checks[status] ?? 0);
        pending.set(counts.pendingNotifications);
      });
    }
    const lagMax = r
      .gauge(
        'vigil_sweep_lag_max_seconds',
        'The worst sweep lag (see vigil_sweep_lag_seconds) of the last minute.',
      )
      .labels();
    const lastSweep = r
      .gauge('vigil_last_sweep_timestamp_seconds', 'When this node last swept for due checks (Unix time).')
      .labels();
    if (sources.sweep) {
      const read = sources.sweep;
      r.onCollect(() => {
        const s = read();
        lagMax.set(s.maxRecentLagMs / 1000);
        lastSweep.set(s.lastAt === null ? 0 : s.lastAt / 1000);
      });
    }
    if (sources.refusingWrites) {
      const read = sources.refusingWrites;
      const refusing = r
        .gauge(
          'vigil_database_refusing_writes',
          '1 while the database refuses writes (disk full, read-only): pings get 503 meanwhile.',
        )
        .labels();
      r.onCollect(() => refusing.set(read() ? 1 : 0));
    }
  }

  /** A ping's outcome; kind `unknown` when it was refused before its kind was read. */
  countPing(kind: PingKind | 'unknown', result: PingResult): void {
    // a kind this list lacks must not throw into the ingestor's commit
    this.pings[kind]?.[result]?.inc();
  }

  countFlip(to: Status): void {
    this.flips.labels(to).inc();
  }

  countAttempt(channelKind: string, outcome: 'delivered' | 'retry' | 'failed'): void {
    this.attempts.labels(channelKind, outcome).inc();
  }

  /** One answered request: its route group, status code and time taken in seconds. */
  observeHttp(group: RouteGroup, status: number, seconds: number): void {
    const cls = status < 200 ? 0 : status < 300 ? 1 : status < 400 ? 2 : status < 500 ? 3 : 4;
    this.http[group][cls]!.observe(seconds);
  }

  /** One sweep; `due`: the checks it claimed, `maxLagMs`: the worst lag among them. */
  observeSweep(due: number, maxLagMs: number): void {
    this.sweeps.inc();
    if (due === 0) return;
    this.swept.inc(due);
    this.sweepLag.observe(maxLagMs / 1000);
  }

  render(): Promise<string> {
    return this.registry.render();
  }
}
