// What the Node server reports about itself, in one place: the metrics (when /metrics is on:
// VIGIL_METRICS_KEY or VIGIL_METRICS_PORT; otherwise nothing is counted at all), the request
// log lines, and the metrics port. server.ts hands it the parts it reads.
import type { Logger } from 'pino';
import type { MetricsSettings } from '../config.ts';
import type { MetricsEndpoint } from '../http/metrics-route.ts';
import type { RequestLog } from '../http/middleware/observe.ts';
import { type MetricSources, VigilMetrics } from '../metrics/vigil-metrics.ts';
import type { DeadlineScheduler } from '../scheduler/detect-missed.ts';
import type { Dispatcher } from '../scheduler/dispatch.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import { observedPing } from './observed-ping.ts';
import { processMetrics } from './process-metrics.ts';

const ENABLE = 'set VIGIL_METRICS_KEY (then scrape with "Authorization: Bearer <key>") or VIGIL_METRICS_PORT';

export class Observability {
  /** null when /metrics is off */
  readonly metrics: VigilMetrics | null;
  readonly requestLog: RequestLog;
  /** what /metrics on the main port answers */
  readonly endpoint: MetricsEndpoint;
  private stopSampling: () => void = () => {};
  private server: MetricsServer | null = null;

  constructor(
    private readonly settings: MetricsSettings,
    private readonly logger: Logger,
    options: { accessLog: boolean; sources: MetricSources },
  ) {
    const on = settings.key !== null || settings.port !== null;
    this.metrics = on ? new VigilMetrics(options.sources) : null;
    if (this.metrics) this.stopSampling = processMetrics(this.metrics.registry);
    this.requestLog = {
      access: options.accessLog,
      write: (line) =>
        line.status >= 500 ? logger.error(line, 'request failed') : logger.info(line, 'request'),
    };
    this.endpoint = {
      metrics: this.metrics,
      // with a port of their own, the key (if any) guards that port and the main one has none
      key: settings.port === null ? settings.key : null,
      notHere:
        settings.port === null
          ? `metrics are off: ${ENABLE}`
          : `metrics are served on their own port (VIGIL_METRICS_PORT ${settings.port}), not here`,
    };
  }

  /** Counts what the scheduler and the dispatcher do. */
  watch(scheduler: DeadlineScheduler, dispatcher: Dispatcher): void {
    const metrics = this.metrics;
    if (!metrics) return;
    scheduler.on('sweep', (e) => metrics.observeSweep(e.due, e.maxLagMs));
    dispatcher.on('delivery', (e) => metrics.countAttempt(e.channelKind ?? 'unknown', e.result.outcome));
  }

  /** The ping fast path with its request metrics and log lines. */
  observePing(fastPing: Parameters<typeof observedPing>[0]): ReturnType<typeof observedPing> {
    return observedPing(fastPing, { metrics: this.metrics, log: this.requestLog });
  }

  /** Opens the metrics port, if there is one; returns its URL. */
  async listen(): Promise<string | null> {
    const { port, host, key } = this.settings;
    if (!this.metrics || port === null) return null;
    this.server = await startMetricsServer(this.metrics, {
      host,
      port,
      key,
      onError: (err) => this.logger.error({ err }, 'metrics scrape failed'),
    });
    return this.server.url;
  }

  async close(): Promise<void> {
    this.stopSampling();
    await this.server?.close();
    this.server = null;
  }
}
