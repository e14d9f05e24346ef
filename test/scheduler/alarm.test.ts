import { describe, expect, it } from 'vitest';
import { Alarm, ManualClock } from '../../src/scheduler/clock.ts';

/** Resolves true once `p` settles within a few turns of the event loop, else false. */
async function settlesSoon(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe('Alarm', () => {
  it('sleeps until the planned time when nothing wakes it', async () => {
    const clock = new ManualClock(0);
    const alarm = new Alarm(clock);
    const sleep = alarm.sleepUntil(1000);
    clock.advance(999);
    expect(await settlesSoon(sleep)).toBe(false);
    clock.advance(1);
    expect(await settlesSoon(sleep)).toBe(true);
  });

  it('ends a sleep early for a wake-up before the planned one, and not for a later one', async () => {
    const clock = new ManualClock(0);
    const alarm = new Alarm(clock);
    const sleep = alarm.sleepUntil(1000);
    alarm.wakeBy(5000);
    expect(await settlesSoon(sleep)).toBe(false);
    alarm.wakeBy(400);
    expect(await settlesSoon(sleep)).toBe(true);
    expect(clock.now()).toBe(0);
  });

  // The loop is awake (sweeping) when most pings commit: each moves its check's deadline far
  // into the future. That must not cancel the loop's next sleep.
  it('keeps the next sleep when a later wake-up was asked for while awake', async () => {
    const clock = new ManualClock(0);
    const alarm = new Alarm(clock);
    alarm.wakeBy(3_600_000);
    const sleep = alarm.sleepUntil(1000);
    expect(await settlesSoon(sleep)).toBe(false);
    clock.advance(1000);
    expect(await settlesSoon(sleep)).toBe(true);
  });

  it('cuts the next sleep short at an earlier wake-up asked for while awake', async () => {
    const clock = new ManualClock(0);
    const alarm = new Alarm(clock);
    alarm.wakeBy(700);
    alarm.wakeBy(300);
    alarm.wakeBy(900);
    const sleep = alarm.sleepUntil(1000);
    clock.advance(299);
    expect(await settlesSoon(sleep)).toBe(false);
    clock.advance(1);
    expect(await settlesSoon(sleep)).toBe(true);
    // used once: the sleep after it is whole again
    const next = alarm.sleepUntil(2000);
    clock.advance(1000);
    expect(await settlesSoon(next)).toBe(false);
  });

  it('skips the next sleep after a wake() while awake, without time passing', async () => {
    const clock = new ManualClock(0);
    const alarm = new Alarm(clock);
    alarm.wake();
    expect(await settlesSoon(alarm.sleepUntil(1000))).toBe(true);
    expect(await settlesSoon(alarm.sleepUntil(1000))).toBe(false);
  });
});
