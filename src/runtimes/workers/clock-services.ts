// What the clock (clock-object.ts) runs its passes with: the same scheduler, dispatcher, prober,
// source runner and pruner the Node server loops with, wired for Workers (no name lookups, the
// Workers capabilities, one ping per transaction).
import { randomUUID } from 'node:crypto';
import { Ingestor } from '../../ingest/ingest.ts';
import type { Log } from '../../log.ts';
import { createHttpClient } from '../../notifiers/http.ts';
import { Prober } from '../../probes/prober.ts';
import { systemClock } from '../../scheduler/clock.ts';
import { DeadlineScheduler } from '../../scheduler/detect-missed.ts';
import { Dispatcher } from '../../scheduler/dispatch.ts';
import { Pruner } from '../../scheduler/prune.ts';
import { deferUntilSynced } from '../../sources/defer-deadline.ts';
import { SourceRunner } from '../../sources/runner.ts';
import type { Store } from '../../store/store.ts';
import { literalAddressesOnly } from './resolve-host.ts';
import type { WorkerConfig } from './worker-config.ts';
import { WORKERS_CAPABILITIES } from './worker-env.ts';

/** Due checks per sweep transaction on D1 (see below). */
export const SWEEP_BATCH = 50;

/** The clock's name in leases and claims; there is only ever one. */
export const CLOCK_NODE_ID = 'workers-clock';

export interface ClockServices {
  baseUrl: string;
  log: Log;
  store: Store;
  scheduler: DeadlineScheduler;
  dispatcher: Dispatcher;
  prober: Prober;
  sources: SourceRunner;
  pruner: Pruner;
}

export function clockServices(
  store: Store,
  config: Readonly<WorkerConfig>,
  baseUrl: string,
  log: Log,
): ClockServices {
  const clock = systemClock;
  const outbound = {
    timeoutMs: config.deliveryTimeoutMs,
    allowPrivateAddresses: config.allowPrivateTargets,
    resolveHost: literalAddressesOnly,
  };
  const ingestor = new Ingestor(store, {
    baseUrl,
    retention: config.pingRetention,
    newId: randomUUID,
    groupCommit: false,
  });
  return {
    baseUrl,
    log,
    store,
    scheduler: new DeadlineScheduler(store, {
      clock,
      baseUrl,
      logger: log,
      nodeId: CLOCK_NODE_ID,
      deferDeadline: deferUntilSynced,
      // One sweep transaction is one D1 batch: a few statements per check, and any check a
      // ping changes meanwhile runs the whole batch again. 50 keeps both small (and a pass
      // within D1's queries per invocation); when more are due, the next pass starts at once.
      batchSize: SWEEP_BATCH,
    }),
    dispatcher: new Dispatcher(store, {
      clock,
      http: createHttpClient(outbound),
      logger: log,
      nodeId: CLOCK_NODE_ID,
      // as on Node: longer than one delivery can take (an email may take three timeouts)
      leaseMs: config.deliveryTimeoutMs * 3 + 5000,
      capabilities: WORKERS_CAPABILITIES,
    }),
    prober: new Prober(store, {
      clock,
      ingestor,
      logger: log,
      allowPrivateAddresses: config.allowPrivateTargets,
      resolveHost: literalAddressesOnly,
    }),
    sources: new SourceRunner(store, {
      clock,
      logger: log,
      ingestor,
      // an inventory (a Supabase project's functions) is longer than any alert's answer
      http: createHttpClient({ ...outbound, maxResponseBytes: 4 * 1024 * 1024 }),
      allowPrivateTargets: config.allowPrivateTargets,
      baseUrl,
      newId: randomUUID,
      bodyLimit: config.pingBodyLimit,
      capabilities: WORKERS_CAPABILITIES,
    }),
    pruner: new Pruner(store, { clock, logger: log, auditRetentionDays: config.auditRetentionDays }),
  };
}
