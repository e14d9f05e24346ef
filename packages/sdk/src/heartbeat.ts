// The heartbeat loop. A timeout re-armed after each ping (not an interval), so a slow server
// never stacks pings up; a failing `status()` or ping never ends the loop.
import { describeError } from './describe-error.ts';
import { unrefTimeout } from './timers.ts';
import type { HeartbeatOptions, HeartbeatStatus } from './types.ts';

type Beat = (status: HeartbeatStatus, message: string | undefined) => Promise<void>;

/** Beats now and every `every` ms; returns `stop()`, which resolves when no beat is in flight. */
export function startHeartbeat(options: HeartbeatOptions, beat: Beat): () => Promise<void> {
  if (!(options.every > 0)) throw new RangeError('heartbeat: "every" must be a positive number of ms');
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const once = async () => {
    let status: HeartbeatStatus = 'ok';
    let message: string | undefined;
    try {
      status = options.status ? await options.status() : 'ok';
    } catch (err) {
      status = 'fail';
      message = describeError(err);
    }
    if (stopped) return;
    await beat(status === 'ok' ? 'ok' : 'fail', message).catch(() => {});
  };

  const tick = () => {
    inFlight = once().finally(() => {
      if (!stopped) timer = unrefTimeout(tick, options.every);
    });
  };

  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await inFlight;
  };
}
