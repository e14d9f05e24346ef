// pg_cron for real: a throw-away cluster whose pg_cron runs jobs every minute, read by vigil
// as it would read a production database. Debian's pg_cron (1.4) runs a job at most once a
// minute, so the specs that wait for runs share one wait: they run concurrently, with their
// jobs scheduled at the start, and vigil's clock follows the wall clock (sync, then sweep, twice
// a second) until what they expect has happened. The specs that stop the cluster come last.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { createSource } from '../../src/sources/source-changes.ts';
import type { Check } from '../../src/store/store.ts';
import {
  MONITOR_ROLE,
  msToNextMinute,
  type PgCronCluster,
  pgCronAvailable,
  startPgCronCluster,
} from './pg-cluster.ts';
import { type SourceRig, sourceRig } from './runner-fixture.ts';

let cluster: PgCronCluster;
const rigs: SourceRig[] = [];

/** Long enough for the next minute's runs, and the one after if this minute is nearly over. */
const runsWithin = () => msToNextMinute() + 75_000;
const WAITING = 150_000;

/** Moves vigil's clock to the wall clock, syncs and sweeps, until `done` says what it waited for. */
async function until<T>(
  what: string,
  rigsToTick: { r: SourceRig; sourceIds: string[] }[],
  done: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + runsWithin();
  for (;;) {
    for (const { r, sourceIds } of rigsToTick) {
      r.h.clock.set(Date.now());
      for (const id of sourceIds) await r.runner.syncNow(id);
      await r.sweep();
    }
    const result = await done();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

async function rig(url: string, name = 'db1'): Promise<SourceRig> {
  const r = await sourceRig({ url }, { at: Date.now(), name, syncInterval: 60, grace: 120 });
  rigs.push(r);
  return r;
}

const tick = (r: SourceRig) => [{ r, sourceIds: [r.source.id] }];

async function jobChecks(r: SourceRig, sourceId = r.source.id): Promise<Check[]> {
  return (await r.h.store.listSourceChecks(sourceId)).filter((c) => c.origin?.sourceKey !== '');
}

describe.skipIf(!pgCronAvailable())('pg_cron sources, against the real extension', () => {
  beforeAll(async () => {
    cluster = await startPgCronCluster();
  });
  afterAll(async () => {
    for (const r of rigs.splice(0)) await r.close();
    await cluster?.destroy();
  });

  describe.concurrent('while pg_cron runs its jobs', () => {
    it('discovers the jobs with their schedules, read in GMT (pg_cron 1.4 has no cron.timezone)', async () => {
      const role = `disc_${randomBytes(3).toString('hex')}`;
      await cluster.sql(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA cron TO ${role}`);
      for (const [name, schedule] of [
        ['weekday-report', '0 3 * * 1-5'],
        ['hourly', '@hourly'],
        ['on-boot', '@reboot'],
      ]) {
        await cluster.sql("SELECT cron.schedule_in_database($1, $2, 'SELECT 1', 'postgres', $3)", [
          name,
          schedule,
          role,
        ]);
      }
      // 1.4 predates the 'N seconds' form; the parser's specs cover it (pg-cron-schedule.test.ts)
      await expect(cluster.sql("SELECT cron.schedule('too-fast', '30 seconds', 'SELECT 1')")).rejects.toThrow(
        'invalid schedule',
      );
      const r = await rig(cluster.url(role));
      expect(await r.sync()).toMatchObject({ ok: true, jobs: 3, created: 3 });
      expect((await r.job('weekday-report')).schedule).toEqual({
        kind: 'cron',
        expression: '0 3 * * 1-5',
        timezone: 'UTC',
        grace: 120,
      });
      expect((await r.job('hourly')).schedule).toMatchObject({ kind: 'cron', expression: '@hourly' });
      expect((await r.job('on-boot')).schedule).toEqual({ kind: 'none' });
    });

    it(
      'feeds runs in as they happen: a success, a failure with its error, and a run past its max runtime, read by a role with only the monitoring GRANTs',
      async () => {
        const tag = randomBytes(3).toString('hex');
        await cluster.sql("SELECT cron.schedule($1, '* * * * *', 'SELECT 1')", [`ok-${tag}`]);
        await cluster.sql("SELECT cron.schedule($1, '* * * * *', $2)", [
          `bad-${tag}`,
          "DO $x$ BEGIN RAISE EXCEPTION 'disk full on /var/lib/data'; END $x$",
        ]);
        await cluster.sql("SELECT cron.schedule($1, '* * * * *', 'SELECT pg_sleep(6)')", [`slow-${tag}`]);
        const r = await rig(cluster.url(MONITOR_ROLE));
        await r.sync();
        const slow = await r.job(`slow-${tag}`);
        // team-owned: set through the API, kept by every sync after
        expect((await r.h.api('PATCH', `/checks/${slow.id}`, { max_runtime: 2 })).status).toBe(200);
        const [ok, bad] = [await r.job(`ok-${tag}`), await r.job(`bad-${tag}`)];

        await until('the runs of the next minute', tick(r), async () => {
          const tooLong = (await r.flipRows(slow.id)).some((f) => f.event === 'too_long');
          const okRan = (await r.pings(ok.id)).some((p) => p.kind === 'success');
          return tooLong && okRan && (await r.job(`bad-${tag}`)).status === 'down';
        });

        const okPing = (await r.pings(ok.id)).find((p) => p.kind === 'success')!;
        expect(okPing).toMatchObject({ method: 'pg_cron', source: 'db1', body: 'SELECT 1' });
        const failed = (await r.flipRows(bad.id)).find((f) => f.to === 'down')!;
        expect(failed).toMatchObject({ event: 'failed', reason: 'run failed' });
        const failPing = (await r.pings(bad.id)).find((p) => p.kind === 'fail')!;
        expect(failPing.body).toContain('ERROR: disk full on /var/lib/data');
        const tooLong = (await r.flipRows(slow.id)).find((f) => f.event === 'too_long')!;
        expect(tooLong.reason).toMatch(/^run "\d+" exceeded max runtime \(2 seconds\)$/);
        expect((await r.job(`slow-${tag}`)).maxRuntime).toBe(2);
      },
      WAITING,
    );

    it(
      'keeps two sources apart: each reads its own jobs and runs, in its own database',
      async () => {
        const roles = ['team_a', 'team_b'];
        for (const role of roles) {
          await cluster.sql(`CREATE DATABASE ${role}_db`);
          await cluster.sql(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA cron TO ${role}`);
          // the same job name in both: pg_cron tells jobs apart by name and owner
          await cluster.sql("SELECT cron.schedule_in_database('nightly', '* * * * *', 'SELECT 1', $1, $2)", [
            `${role}_db`,
            role,
          ]);
        }
        const r = await rig(cluster.url('team_a'), 'a');
        const b = await r.h.store.transaction((tx) =>
          createSource(
            tx,
            { projectId: r.h.project.id, name: 'b', kind: 'pg_cron', config: { url: cluster.url('team_b') } },
            { now: r.h.clock.now(), newId: randomUUID },
            systemActor('test'),
          ),
        );
        const [checkA, checkB] = await until(
          'a run of each team',
          [{ r, sourceIds: [r.source.id, b.id] }],
          async () => {
            const [a, bb] = [await jobChecks(r, r.source.id), await jobChecks(r, b.id)];
            if (a.length !== 1 || bb.length !== 1) return null;
            const ran = async (c: Check) => (await r.pings(c.id)).some((p) => p.kind === 'success');
            return (await ran(a[0]!)) && (await ran(bb[0]!)) ? [a[0]!, bb[0]!] : null;
          },
        );
        expect(checkA.slug).toBe('a/nightly');
        expect(checkB.slug).toBe('b/nightly');
        expect(checkA.origin!.sourceKey).not.toBe(checkB.origin!.sourceKey);
        const runsOf = async (c: Check) => (await r.pings(c.id)).map((p) => p.rid);
        const [runsA, runsB] = [await runsOf(checkA), await runsOf(checkB)];
        expect(runsA.filter((rid) => runsB.includes(rid))).toEqual([]);
        const details = await cluster.sql<{ runid: string; username: string }>(
          'SELECT runid::text, username FROM cron.job_run_details WHERE runid = ANY($1::bigint[])',
          [[...runsA, ...runsB]],
        );
        for (const d of details) expect(runsA.includes(d.runid) ? 'team_a' : 'team_b').toBe(d.username);
      },
      WAITING,
    );
  });

  it('only ever reads: a read-only transaction of SELECTs', () => {
    const statements = cluster.statementsOf('vigil');
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      expect(s).toMatch(/^(BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY|SELECT |COMMIT$)/);
    }
  });

  it('makes a stopped cluster one alert about the source, its jobs unknown until it is back', async () => {
    const r = await rig(cluster.url(MONITOR_ROLE), 'main');
    r.h.clock.set(Date.now());
    await r.sync();
    const jobs = await jobChecks(r);
    expect(jobs.length).toBeGreaterThan(3);
    const health = await r.health();
    const jobAlerts = async () => {
      let n = 0;
      for (const c of jobs) n += await r.alerts(c.id);
      return n;
    };
    const alertsBefore = await jobAlerts();

    await cluster.stop();
    try {
      r.h.clock.set(Date.now());
      const report = await r.sync();
      expect(report.error).toMatch(/connection refused/);
      r.h.clock.set(Date.now() + 1000);
      await r.sync();
      expect(await r.alerts(health.id)).toBe(1);
      expect(await jobAlerts()).toBe(alertsBefore);
      for (const c of await jobChecks(r)) expect(['unknown', 'down', 'paused']).toContain(c.status);
      expect((await jobChecks(r)).some((c) => c.status === 'unknown')).toBe(true);
    } finally {
      await cluster.start();
    }

    r.h.clock.set(Date.now());
    expect(await r.sync()).toMatchObject({ ok: true });
    await r.sweep();
    expect((await r.health()).status).toBe('up');
    expect((await jobChecks(r)).filter((c) => c.status === 'unknown')).toEqual([]);
    expect(await r.alerts(health.id)).toBe(2);
  }, 60_000);
});
