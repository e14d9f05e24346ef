// autocannon ships no types; this covers the part of its programmatic API the benchmarks use.
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** seconds */
      duration?: number;
      /** seconds to wait for one response */
      timeout?: number;
      /** stops the run after this many requests even if `duration` has not passed */
      maxOverallRequests?: number;
      /** requests per second over all connections (a steady load instead of as fast as it can) */
      overallRate?: number;
      method?: 'GET' | 'POST' | 'HEAD';
      headers?: Record<string, string>;
      body?: string;
      expectBody?: string;
      title?: string;
      /** requests sent in turn on each connection; setupRequest may change each one */
      requests?: {
        method?: 'GET' | 'POST' | 'HEAD';
        path?: string;
        headers?: Record<string, string>;
        body?: string;
        setupRequest?: (req: Record<string, unknown>) => Record<string, unknown>;
      }[];
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      p99_9: number;
    }

    interface Result {
      title?: string;
      url: string;
      /** seconds */
      duration: number;
      connections: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      /** in ms */
      latency: Histogram;
      /** per-second samples */
      requests: Histogram & { sent: number };
    }

    interface Instance extends PromiseLike<Result> {
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
