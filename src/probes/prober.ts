// The probe loop: claims the http checks whose probe is due (one node probes a check at a time),
// runs their requests with bounded concurrency, and records each result as a ping through the
// Ingestor, so a probe's success or failure goes through the same state machine as any ping.

import { EventEmitter } from 'node:events';
import type { Ingestor } from '../ingest/ingest.ts';
import type { Log } from '../log.ts';
import type { HostResolver } from '../notifiers/http.ts';
import { Alarm, type Clock } from '../scheduler/clock.ts';
import { storageProblem } from '../store/storage-problem.ts';
import type { Check, Store } from '../store/store.ts';
import { MAX_PROBE_TIMEOUT } from './probe-rules.ts';
import { PROBE_USER_AGENT, type ProbeResult, runProbe } from './run-probe.ts';
import { nextProbeFor } from './slots.ts';

/** The method a probe result's ping is recorded with: no client sends it, so it reads as vigil's. */
export const PROBE_PING_METHOD = 'PROBE';

/**
 * How long a claim lasts: longer than any probe may take (its timeout) plus recording it. A
 * node that dies mid-probe leaves the check due again when the claim ends.
 */
export const PROBE_LEASE_MS = (MAX_PROBE_TIMEOUT + 30) * 1000;

export interface ProberOptions {
  clock: Clock;
  ingestor: Ingestor;
  logger: Log;
  /** VIGIL_ALLOW_PRIVATE_URLS: probes may reach loopback and private addresses */
  allowPrivateAddresses: boolean;
  /** for the private-address check (default: the system resolver; see HttpClientOptions) */
  resolveHost?: HostResolver;
  /** probes in flight at once on this node (default 32) */
  concurrency?: number;
  /** the longest the loop sleeps, even with nothing due (covers probes other nodes scheduled) */
  maxSleepMs?: number;
}

export interface ProbeEvent extends ProbeResult {
  checkId: string;
  /** when the result was recorded */
  at: number;
}

export class Prober extends EventEmitter<{ probed: [ProbeEvent] }> {
  private readonly alarm: Alarm;
  private readonly concurrency: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** cuts in-flight requests short on stop */
  private readonly cancel = new AbortController();
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly options: ProberOptions,
  ) {
    super();
    this.alarm = new Alarm(options.clock);
    this.concurrency = options.concurrency ?? 32;
  }

  start(): void {
    this.running = this.loop();
  }

  /** Called when a probe may have become due earlier than the loop planned to look. */
  nudge(at: number | null): void {
    if (at !== null) this.alarm.wakeBy(at);
  }

  /** Ends the loop and cuts in-flight probes short; those are due again at once, for the next node. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancel.abort();
    this.alarm.wake();
    await this.running;
    await Promise.all(this.inFlight);
  }

  /** Claims up to `limit` probes due at `now` and runs them; resolves with what was recorded. */
  async probeDue(now: number, limit = this.concurrency): Promise<ProbeEvent[]> {
    const claimed = await this.store.claimDueProbes(now, now + PROBE_LEASE_MS, limit);
    const events = await Promise.all(claimed.map((check) => this.probe(check)));
    return events.filter((e): e is ProbeEvent => e !== null);
  }

  private async loop(): Promise<void> {
    const { clock, logger } = this.options;
    while (!this.stopping) {
      const now = clock.now();
      const free = this.concurrency - this.inFlight.size;
      let more = false;
      try {
        if (free > 0) {
          const claimed = await this.store.claimDueProbes(now, now + PROBE_LEASE_MS, free);
          for (const check of claimed) this.launch(check);
          more = claimed.length === free;
        }
      } catch (err) {
        // a refusal (disk full, read-only) was logged once by the storage monitor
        if (storageProblem(err) === null)
          logger.error({ err }, 'claiming due probes failed; retrying in 1 s');
      }
      if (more) continue; // a full batch: more may be due, and the slots that remain are full
      const cap = now + (this.options.maxSleepMs ?? 1000);
      // with every slot busy, a finishing probe wakes the loop (see launch)
      const due = this.inFlight.size < this.concurrency ? await this.earliestDue() : null;
      await this.alarm.sleepUntil(due === null ? cap : Math.min(cap, due));
    }
  }

  private async earliestDue(): Promise<number | null> {
    return this.store.earliestProbeDue().catch(() => null);
  }

  private launch(check: Check): void {
    const run = this.probe(check).finally(() => {
      const wasFull = this.inFlight.size >= this.concurrency;
      this.inFlight.delete(run);
      if (wasFull) this.alarm.wake();
    });
    this.inFlight.add(run);
  }

  /** One claimed check: probed and recorded, or passed over; never throws. */
  private async probe(check: Check): Promise<ProbeEvent | null> {
    const { clock, ingestor, logger } = this.options;
    try {
      // Paused and archived checks stay on their slots without being probed, so whatever ends
      // the pause (a resume, or a ping to the check) needs no word to the prober.
      if (check.probe === null || check.status === 'paused' || check.archivedAt !== null) {
        await this.store.setProbeNextAt(check.id, nextProbeFor(check, clock.now()));
        return null;
      }
      const result = await runProbe(check.probe, {
        allowPrivateAddresses: this.options.allowPrivateAddresses,
        signal: this.cancel.signal,
        resolveHost: this.options.resolveHost,
      });
      if (this.cancel.signal.aborted) {
        // cut short by stop(): not the target's fault, so no result; due again for whoever runs next
        await this.store.setProbeNextAt(check.id, clock.now());
        return null;
      }
      const at = clock.now();
      const outcome = await ingestor.submit({
        target: { checkId: check.id },
        kind: result.ok ? 'success' : 'fail',
        runId: null,
        method: PROBE_PING_METHOD,
        source: null,
        userAgent: PROBE_USER_AGENT,
        body: result.summary,
        truncated: false,
        at,
        durationMs: result.latencyMs,
      });
      // the check as the result found it: its period or kind may have changed meanwhile
      const fresh = outcome.result === 'not-found' ? null : outcome.check;
      await this.store.setProbeNextAt(check.id, fresh === null ? null : nextProbeFor(fresh, at));
      const event: ProbeEvent = { ...result, checkId: check.id, at };
      this.emit('probed', event);
      return event;
    } catch (err) {
      // the URL is left out of the log: it may carry a token
      logger.error({ err, check: check.id }, 'probe failed; trying again at its next slot');
      await this.store.setProbeNextAt(check.id, nextProbeFor(check, clock.now())).catch(() => {});
      return null;
    }
  }
}
