// While the database refuses writes, pings are refused too (503): the sweep must not call a
// check down for pings vigil itself turned away. It waits, and once writes work it gives the
// deadlines that passed meanwhile a fresh grace, as after vigil's own outage. The outbox waits
// too (no delivery could be recorded). A real SQLite store, a ManualClock; the specs await the
// loops' events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { DeadlineScheduler, type SweepEvent } from '../../src/scheduler/detect-missed.ts';
import { type DeliveryEvent, Dispatcher } from '../../src/scheduler/dispatch.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { startReceiver } from '../e2e/receiver.ts';
import { makeChannel, makeCheck, makeNotification, makeProject } from '../store/fixtures.ts';
import { MINUTE, nextEvent, SECOND, watchSleeps } from './fixtures.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

let dir: string;
let store: Store;
let scheduler: DeadlineScheduler | undefined;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-pause-'));
  store = await openSqliteStore(join(dir, 'vigil.db'));
});
afterEach(async () => {
  await scheduler?.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the sweep while the database refuses writes', () => {
  it('waits, then gives the deadlines that passed meanwhile a fresh grace', async () => {
    // pinged at T0: due again at T0 + 60 s, with 30 s of grace
    const project = makeProject();
    await store.insertProject(project);
    const check = makeCheck(project.id, { status: 'up', lastPingAt: T0, nextDeadline: T0 + MINUTE });
    await store.insertCheck(check);
    const { id } = check;
    const manual = new ManualClock(T0);
    let down = true;
    const clock = watchSleeps(manual);
    scheduler = new DeadlineScheduler(store, {
      clock,
      baseUrl: 'http://vigil.test',
      logger: pino({ level: 'silent' }),
      storageDown: () => down,
    });
    const sweeps: SweepEvent[] = [];
    scheduler.on('sweep', (e) => sweeps.push(e));
    let slept = clock.nextSleep();
    await scheduler.start();

    // Five minutes pass with the database refusing writes: the deadline (T0 + 60 s) and the
    // grace after it go by, and nothing is swept.
    for (let t = 0; t < 5 * MINUTE; t += SECOND) {
      await slept;
      slept = clock.nextSleep();
      manual.advance(SECOND);
    }
    await slept;
    expect(sweeps).toEqual([]);
    expect(await store.listFlips(id, { limit: 10 })).toEqual([]);

    // Writes work again: a fresh grace of 30 s from now first, then the sweep goes on.
    down = false;
    const recovered = nextEvent<number>(scheduler, 'recovered');
    const swept = nextEvent<SweepEvent>(scheduler, 'sweep');
    scheduler.nudge(manual.now());
    expect(await recovered).toBe(1);
    await swept;
    const now = manual.now();
    expect(now).toBe(T0 + 5 * MINUTE);
    expect(await store.getCheck(id)).toMatchObject({ status: 'up', nextDeadline: now + 30 * SECOND });
    expect(await store.listFlips(id, { limit: 10 })).toEqual([]);

    // and when that grace runs out with no ping, the alarm is real: down (its last ping is long
    // past period and grace)
    const late = nextEvent<SweepEvent>(scheduler, 'sweep', (e) => e.flipped > 0);
    manual.advance(30 * SECOND);
    await late;
    expect((await store.listFlips(id, { limit: 10 })).map((f) => f.to)).toEqual(['down']);
  });

  it('holds the outbox, and delivers what waited once writes work', async () => {
    const receiver = await startReceiver();
    try {
      const project = makeProject();
      await store.insertProject(project);
      const check = makeCheck(project.id);
      await store.insertCheck(check);
      const channel = makeChannel(project.id, { config: { url: receiver.url } });
      await store.insertChannel(channel);
      const flipId = await store.insertFlip({
        checkId: check.id,
        at: T0,
        from: 'up',
        to: 'down',
        reason: 'late',
      });
      await store.insertNotifications([makeNotification(check, flipId, channel.id)]);

      const manual = new ManualClock(T0);
      const clock = watchSleeps(manual);
      let down = true;
      const dispatcher = new Dispatcher(store, {
        clock,
        http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }),
        logger: pino({ level: 'silent' }),
        storageDown: () => down,
      });
      let slept = clock.nextSleep();
      await dispatcher.start();
      try {
        for (let t = 0; t < 10 * SECOND; t += SECOND) {
          await slept;
          slept = clock.nextSleep();
          manual.advance(SECOND);
        }
        await slept;
        expect(receiver.requests).toEqual([]);
        expect((await store.listNotifications(check.id, 10))[0]).toMatchObject({
          status: 'pending',
          attempts: 0,
        });

        down = false;
        const delivered = nextEvent<DeliveryEvent>(dispatcher, 'delivery');
        dispatcher.nudge();
        expect((await delivered).status).toBe('delivered');
        expect(receiver.requests).toHaveLength(1);
      } finally {
        await dispatcher.stop();
      }
    } finally {
      await receiver.close();
    }
  });
});
