/** Time as the scheduler and dispatcher see it; tests drive a ManualClock instead. */
export interface Clock {
  now(): number;
  /** resolves after `ms`, or early when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A clock that moves only when told to. Sleepers wake when the time passes their target. */
export class ManualClock implements Clock {
  private sleepers: { until: number; resolve: () => void }[] = [];

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      // As setTimeout(0) does: a time already reached wakes on the next turn. Waiting for the
      // next advance() instead would lose the wake-up of a loop that was told to advance
      // while it was still busy.
      if (ms <= 0) {
        setImmediate(resolve);
        return;
      }
      const sleeper = { until: this.time + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Moves time forward and wakes everyone whose sleep is over. */
  advance(ms: number): void {
    this.set(this.time + ms);
  }

  set(time: number): void {
    this.time = time;
    const woken = this.sleepers.filter((s) => s.until <= time);
    this.sleepers = this.sleepers.filter((s) => s.until > time);
    for (const s of woken) s.resolve();
  }
}

/**
 * A loop's sleep that can be cut short: `wake()` ends the current sleep at once, and
 * `wakeBy(t)` ends it if `t` comes before the planned wake-up. Either, called while the loop is
 * awake, carries over to its next sleep: `wake()` skips it, and `wakeBy(t)` ends it by `t`.
 * (A `wakeBy` between sleeps used to skip the next sleep whatever `t` was: under a steady
 * stream of pings, every one of which moves a deadline, the sweep then ran back to back,
 * about fifty times a second instead of once.)
 */
export class Alarm {
  private controller: AbortController | null = null;
  private planned = Number.POSITIVE_INFINITY;
  /** the earliest wake-up asked for while the loop was awake */
  private pendingBy = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  async sleepUntil(at: number): Promise<void> {
    const until = Math.min(at, this.pendingBy);
    this.pendingBy = Number.POSITIVE_INFINITY;
    // a time already passed still yields a turn, so a loop woken again and again cannot starve I/O
    this.controller = new AbortController();
    this.planned = until;
    await this.clock.sleep(Math.max(0, until - this.clock.now()), this.controller.signal);
    this.controller = null;
    this.planned = Number.POSITIVE_INFINITY;
  }

  wake(): void {
    this.wakeBy(Number.NEGATIVE_INFINITY);
  }

  wakeBy(at: number): void {
    if (this.controller) {
      if (at < this.planned) this.controller.abort();
    } else if (at < this.pendingBy) {
      this.pendingBy = at;
    }
  }
}
