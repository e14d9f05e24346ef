import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { DeadlineScheduler } from '../../src/scheduler/detect-missed.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import type { Store } from '../../src/store/store.ts';
import {
  postgresBin,
  requirePostgresBin,
  startThrowawayCluster,
  type ThrowawayCluster,
} from '../helpers/pg-throwaway.ts';
import { makeCheck, makeProject, T0 } from '../store/fixtures.ts';

const bin = postgresBin();
const available = requirePostgresBin(
  bin,
  'PostgreSQL (initdb, pg_ctl) is not installed',
  'the PostgreSQL outage grace spec',
);

const SECOND = 1000;

describe.skipIf(!available)('a deadline that passes while PostgreSQL is down', () => {
  let cluster: ThrowawayCluster | undefined;
  let store: Store | undefined;

  beforeAll(async () => {
    cluster = await startThrowawayCluster({
      bin: bin!,
      prefix: 'vigil-pgoutage-',
      // as a production server: a commit acknowledged is one an immediate stop keeps
      conf: 'synchronous_commit = on',
    });
    store = await openPostgresStore(cluster.url(), { max: 2 });
  }, 60_000);

  afterAll(async () => {
    await store?.close().catch(() => {});
    await cluster?.destroy();
  });

  it('gets a fresh grace once the database is back, instead of an alarm', async () => {
    const db = store!;
    const project = makeProject();
    await db.insertProject(project);
    const base = makeCheck(project.id, { schedule: { kind: 'interval', period: 60, grace: 0 } });
    // pinged at T0: down at T0 + 60 s unless another ping comes
    await db.insertCheck({
      ...base,
      status: 'up',
      lastPingAt: T0,
      nextDeadline: T0 + 60 * SECOND,
      pingSeq: 1,
    });

    const clock = new ManualClock(T0 + 10 * SECOND);
    const scheduler = new DeadlineScheduler(db, {
      clock,
      baseUrl: 'http://vigil.test',
      logger: pino({ level: 'silent' }),
    });
    const failures: unknown[] = [];
    scheduler.on('error', (err) => failures.push(err));
    const recoveries: number[] = [];
    scheduler.on('recovered', (moved) => recoveries.push(moved));
    await scheduler.start();
    expect(recoveries).toEqual([0]);
    try {
      await cluster!.stop('immediate');
      // the deadline passes while nothing can be stored: the sweep fails and waits
      clock.set(T0 + 70 * SECOND);
      await until(() => failures.length > 0);

      await cluster!.start();
      // the loop tries again every second
      for (let i = 0; i < 100 && recoveries.length < 2; i++) {
        clock.advance(SECOND);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(recoveries).toEqual([0, 1]);
      const back = clock.now();
      const check = (await db.getCheck(base.id))!;
      expect(check.status).toBe('up');
      expect(check.nextDeadline).toBeGreaterThan(T0 + 70 * SECOND);
      expect(check.nextDeadline).toBeLessThanOrEqual(back + SECOND);
      expect(await db.listFlips(base.id, { limit: 10 })).toEqual([]);
    } finally {
      await scheduler.stop();
    }
  }, 60_000);
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(done()).toBe(true);
}
