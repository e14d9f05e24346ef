// How an isolate talks to the clock (clock-object.ts). A commit that brings work forward wakes
// the clock, but most pings do not need to: the isolate keeps the time the clock last said its
// next pass starts by, and work due after that time will be found by that pass. So only a
// deadline earlier than that, or notifications to deliver now, cost a call.
import type { Log } from '../../log.ts';
import type { SyncReport } from '../../sources/adapter.ts';
import type { WorkerEnv } from './worker-env.ts';

/** The one clock's name: idFromName gives every isolate the same object. */
const CLOCK_NAME = 'clock';

export class ClockClient {
  /** a time the clock said a pass starts by (it keeps that even if woken earlier); null: none known */
  private promised: number | null = null;
  /** the times of wakes on their way: a later wake need not be sent too */
  private readonly asking = new Set<number>();

  constructor(
    private readonly namespace: WorkerEnv['CLOCK'],
    private readonly log: Log,
  ) {}

  /**
   * Makes sure a pass starts by `at`. Returns the call to wait for (ctx.waitUntil), or null
   * when the clock already promised a pass between `now` and `at`. `origin` is where requests
   * reach vigil, for links in alerts when VIGIL_BASE_URL is unset.
   */
  wake(at: number, now: number, origin: string | null): Promise<void> | null {
    const promised = this.promised;
    if (promised !== null && promised > now && promised <= at) return null;
    for (const asked of this.asking) if (asked <= at) return null;
    this.asking.add(at);
    return this.call<{ alarm_at: number }>('/wake', { at, origin })
      .then(({ alarm_at: next }) => {
        const known = this.promised;
        // every promise is kept, so the earliest one still ahead is the one to go by
        if (known === null || known <= Date.now() || next < known) this.promised = next;
      })
      .catch((err: unknown) =>
        this.log.error({ err }, 'could not wake the clock; its next pass (within a minute) finds the work'),
      )
      .finally(() => this.asking.delete(at));
  }

  /** A pass now: the Cron Trigger's safety sweep, through the same single place. */
  async tick(): Promise<void> {
    await this.call('/tick', {});
  }

  /** Reads a source now, in the clock, and reports what the sync did. */
  syncSource(sourceId: string): Promise<SyncReport> {
    return this.call<SyncReport>('/sync', { source_id: sourceId });
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const stub = this.namespace.get(this.namespace.idFromName(CLOCK_NAME));
    const res = await stub.fetch(`https://clock${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as T & { error?: { message: string } };
    if (!res.ok)
      throw new Error(`the clock answered ${res.status}: ${answer.error?.message ?? 'no reason given'}`);
    return answer;
  }
}
