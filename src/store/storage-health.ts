// Watching for "the database refuses writes" (a full disk, a read-only file, a failing disk)
// and for its end. Every store call of the server goes through watchStore, so the first
// refusal anywhere (a ping, a sweep, an API write) starts the condition: it is logged once,
// shown on the dashboard and /healthz, and the operator is told (operator-alerts.ts). While it
// holds, a probe tries a real write every few seconds; the first that works ends it, and
// vigil carries on without a restart.
import { EventEmitter } from 'node:events';
import type { Log } from '../log.ts';
import { Alarm, type Clock } from '../scheduler/clock.ts';
import { type StorageCondition, storageProblem } from './storage-problem.ts';
import type { Store } from './store.ts';

/** meta key the probe writes: 64 KiB, then a timestamp (the row stays, a few bytes long) */
export const PROBE_KEY = 'storage.probe';
/**
 * What the probe writes first. Rewriting a small row proves little: it fits in pages the file
 * already has (and a WAL that is reused from its start), so it can work on a disk with no room
 * for one more ping. 64 KiB needs new pages, committed and fdatasynced as a batch of pings is.
 */
const PROBE_BYTES = 64 * 1024;

export interface StorageHealthOptions {
  clock: Clock;
  logger: Log;
  /** how often the probe tries a write while the condition holds (default 5 s) */
  probeEveryMs?: number;
}

export class StorageHealth extends EventEmitter<{
  down: [StorageCondition];
  /** the condition that ended, and when */
  up: [StorageCondition, number];
}> {
  private current: StorageCondition | null = null;
  private readonly alarm: Alarm;
  private running: Promise<void> | null = null;
  private stopping = false;

  /** `store`: the store itself, not the watched one (the probe's own failures are expected) */
  constructor(
    private readonly store: Store,
    private readonly options: StorageHealthOptions,
  ) {
    super();
    this.alarm = new Alarm(options.clock);
  }

  /** Why the database refuses writes, and since when; null while it takes them. */
  get condition(): StorageCondition | null {
    return this.current;
  }

  /** Told about every failed store call; a refusal starts the condition (once). */
  report(err: unknown): void {
    const problem = storageProblem(err);
    if (!problem) return;
    const error = (err as Error).message ?? String(err);
    if (this.current) {
      this.current.error = error;
      return;
    }
    this.current = { problem, since: this.options.clock.now(), error };
    this.options.logger.error(
      { err, problem: problem.kind },
      `the database refuses writes: ${problem.what}; pings get 503 until it takes them again (checked every ${this.probeEveryMs / 1000} s). To fix: ${problem.todo}`,
    );
    this.emit('down', this.current);
    this.alarm.wake();
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.alarm.wake();
    await this.running;
  }

  private get probeEveryMs(): number {
    return this.options.probeEveryMs ?? 5000;
  }

  private async loop(): Promise<void> {
    const { clock } = this.options;
    while (!this.stopping) {
      // with nothing wrong, it sleeps until report() wakes it
      await this.alarm.sleepUntil(clock.now() + (this.current ? this.probeEveryMs : 60_000));
      if (this.current && !this.stopping) await this.probe();
    }
  }

  /** One real write; ends the condition when it works. Returns whether it did. */
  async probe(): Promise<boolean> {
    const condition = this.current;
    if (!condition) return true;
    const { clock, logger } = this.options;
    try {
      // random, so no engine can store it compressed into less than it asks for
      const filler = Buffer.from(crypto.getRandomValues(new Uint8Array((PROBE_BYTES * 3) / 4)));
      await this.store.setMeta(PROBE_KEY, filler.toString('base64'));
      await this.store.setMeta(PROBE_KEY, String(clock.now()));
    } catch (err) {
      if (storageProblem(err)) condition.error = (err as Error).message;
      else logger.warn({ err }, 'the storage probe failed; trying again');
      return false;
    }
    const until = clock.now();
    this.current = null;
    logger.info(
      { problem: condition.problem.kind, downMs: until - condition.since },
      'the database takes writes again; pings are accepted again',
    );
    this.emit('up', condition, until);
    return true;
  }
}

/**
 * The store, with every failed call reported to `onError` (and still thrown to the caller).
 * A Proxy rather than a copy of each method, so methods added to the Store later are watched
 * too; errors inside a transaction surface through transaction() itself.
 */
export function watchStore(store: Store, onError: (err: unknown) => void): Store {
  const watched = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      let fn = watched.get(key);
      if (!fn) {
        fn = (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.catch((err: unknown) => {
            onError(err);
            throw err;
          });
        };
        watched.set(key, fn);
      }
      return fn;
    },
  });
}
