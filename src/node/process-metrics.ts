// The Node process's own numbers on /metrics, read at each scrape (names as prom-client's
// default collectors use them, so existing dashboards fit): memory, event loop delay,
// uptime and live handles. The event loop is sampled by perf_hooks every 10 ms in C++, not
// by a timer of ours; its percentiles cover the time since the previous scrape.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from '../metrics/registry.ts';

/** Adds the process gauges to `registry`; the returned function stops the sampling. */
export function processMetrics(registry: Registry): () => void {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const gauge = (name: string, help: string) => registry.gauge(name, help).labels();
  const rss = gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  const heapUsed = gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.');
  const heapTotal = gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.');
  const started = gauge('process_start_time_seconds', 'When the process started (Unix time).');
  const uptime = gauge('vigil_uptime_seconds', 'Seconds since the process started.');
  const resources = gauge(
    'nodejs_active_resources',
    'Handles and requests keeping the event loop alive (sockets, timers, files).',
  );
  const p50 = gauge('nodejs_eventloop_lag_p50_seconds', 'Median event loop delay since the previous scrape.');
  const p99 = gauge(
    'nodejs_eventloop_lag_p99_seconds',
    '99th percentile event loop delay since the previous scrape.',
  );
  const max = gauge(
    'nodejs_eventloop_lag_max_seconds',
    'Longest event loop delay since the previous scrape.',
  );
  started.set(Math.round(performance.timeOrigin) / 1000);
  registry.onCollect(() => {
    const memory = process.memoryUsage();
    rss.set(memory.rss);
    heapUsed.set(memory.heapUsed);
    heapTotal.set(memory.heapTotal);
    uptime.set(process.uptime());
    resources.set(process.getActiveResourcesInfo().length);
    // nanoseconds; with no sample since the reset the histogram reports nonsense, so 0
    const sampled = loop.count > 0;
    p50.set(sampled ? loop.percentile(50) / 1e9 : 0);
    p99.set(sampled ? loop.percentile(99) / 1e9 : 0);
    max.set(sampled ? loop.max / 1e9 : 0);
    loop.reset();
  });
  return () => loop.disable();
}
