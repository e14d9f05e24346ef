// The source runner against a real PostgreSQL with pg_cron, on a ManualClock: jobs are
// scheduled for a day pg_cron will not reach during the test, and their runs are written into
// cron.job_run_details as pg_cron writes them, so every time is the test's to choose. Each spec
// has its own role, and pg_cron's row-level security shows a role only its own jobs and runs.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { MAX_SYNC_WAIT_MS } from '../../src/sources/defer-deadline.ts';
import { SourceRunner } from '../../src/sources/runner.ts';
import { BASE_URL } from '../helpers/harness.ts';
import { createCheck, MINUTE, SECOND } from '../scheduler/fixtures.ts';
import { PASSWORD_ROLE, type PgCronCluster, pgCronAvailable, startPgCronCluster } from './pg-cluster.ts';
import { CutProxy, type SourceRig, sourceRig } from './runner-fixture.ts';

const DAY = 86_400_000;
// A day four months away: pg_cron runs none of these jobs while the specs run.
const FAR = new Date(Date.now() + 120 * DAY);
const T = Date.UTC(FAR.getUTCFullYear(), FAR.getUTCMonth(), FAR.getUTCDate(), 12, 0, 0);
const ON_FAR_DAY = `${FAR.getUTCDate()} ${FAR.getUTCMonth() + 1} *`;
const EVERY_10_MIN = `*/10 * ${ON_FAR_DAY}`;

let cluster: PgCronCluster;
const rigs: SourceRig[] = [];

describe('a pg_cron source where the runtime cannot open TCP connections (Workers)', () => {
  it('is unreachable with the reason, without trying to connect', async () => {
    const rig = await sourceRig(
      { url: 'postgres://vigil:secret@127.0.0.1:9/postgres' },
      { runner: { capabilities: { smtp: false, tcpSources: false } } },
    );
    try {
      const report = await rig.sync();
      expect(report).toMatchObject({ ok: false, error: expect.stringContaining('TCP connection') });
      expect((await rig.reload()).lastError).toBe(report.error);
      expect((await rig.health()).status).toBe('down');
    } finally {
      await rig.close();
    }
  });
});

describe.skipIf(!pgCronAvailable())('the source runner', () => {
  beforeAll(async () => {
    cluster = await startPgCronCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.close();
  });

  /** A role of the spec's own, and a source (db1) reading pg_cron as that role. */
  async function rigForRole(opts: { url?: (role: string) => string } = {}) {
    const role = `r_${randomBytes(4).toString('hex')}`;
    await cluster.sql(`CREATE ROLE ${role} LOGIN`);
    await cluster.sql(`GRANT USAGE ON SCHEMA cron TO ${role}`);
    const r = await sourceRig({ url: opts.url?.(role) ?? cluster.url(role) }, { at: T });
    rigs.push(r);
    return { r, role };
  }

  async function schedule(role: string, name: string, cron = EVERY_10_MIN): Promise<number> {
    const [row] = await cluster.sql<{ jobid: string }>(
      "SELECT cron.schedule_in_database($1, $2, 'SELECT 1', 'postgres', $3) AS jobid",
      [name, cron, role],
    );
    return Number(row!.jobid);
  }

  /** A run as pg_cron records it; returns its run id. */
  async function addRun(
    role: string,
    jobid: number,
    run: { status: string; start: number | null; end?: number | null; message?: string },
  ): Promise<number> {
    const [row] = await cluster.sql<{ runid: string }>(
      `INSERT INTO cron.job_run_details (jobid, database, username, command, status, return_message, start_time, end_time)
       VALUES ($1, 'postgres', $2, 'SELECT 1', $3, $4, to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0))
       RETURNING runid`,
      [jobid, role, run.status, run.message ?? null, run.start, run.end ?? null],
    );
    return Number(row!.runid);
  }

  const succeeded = (start: number, ms = 1000) => ({
    status: 'succeeded',
    start,
    end: start + ms,
    message: 'SELECT 1',
  });

  describe('discovery', () => {
    it('makes each job a check named <source>/<job>, with its schedule and the source defaults', async () => {
      const { r, role } = await rigForRole();
      const backup = await schedule(role, 'Nightly Backup', `30 3 ${ON_FAR_DAY}`);
      const [nameless] = await cluster.sql<{ jobid: string }>(
        `INSERT INTO cron.job (schedule, command, username) VALUES ($1, 'SELECT 1', $2) RETURNING jobid`,
        [EVERY_10_MIN, role],
      );
      await schedule(role, 'boot', '@reboot');

      const report = await r.sync();

      expect(report).toEqual({
        ok: true,
        error: null,
        jobs: 3,
        runs: 0,
        created: 3,
        updated: 0,
        archived: 0,
        at: T,
      });
      const check = await r.job('nightly-backup');
      expect(check).toMatchObject({
        name: 'db1/Nightly Backup',
        schedule: { kind: 'cron', expression: `30 3 ${ON_FAR_DAY}`, timezone: 'UTC', grace: 120 },
        severity: 'critical',
        tags: ['db'],
        description: '',
        successCriteria: '',
        status: 'new',
        origin: { sourceId: r.source.id, sourceKey: String(backup) },
        archivedAt: null,
      });
      // what pg_cron says about the job travels with the check, for the people reading it
      expect(check.origin?.details).toEqual({
        jobid: backup,
        schedule: `30 3 ${ON_FAR_DAY}`,
        command: 'SELECT 1',
        database: 'postgres',
        username: role,
        schedule_note: null,
      });
      expect((await r.job(`job-${nameless!.jobid}`)).schedule.kind).toBe('cron');
      expect((await r.job('boot')).schedule).toEqual({ kind: 'none' });
    });

    it("gives the source's health check a success for each sync and records the sync on the source", async () => {
      const { r } = await rigForRole();
      await r.sync();
      const health = await r.health();
      expect(health.status).toBe('up');
      expect(await r.pings(health.id)).toMatchObject([
        { kind: 'success', method: 'pg_cron', source: 'db1', userAgent: null, at: T },
      ]);
      expect(await r.reload()).toMatchObject({
        lastSyncAt: T,
        lastSuccessAt: T,
        lastError: null,
        nextSyncAt: T + 60 * SECOND,
      });
    });

    it("follows a change of the job's command into the check's source details, without a flip", async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'vacuum');
      await r.sync();
      await cluster.sql("UPDATE cron.job SET command = 'VACUUM ANALYZE' WHERE jobid = $1", [jobid]);
      const report = await r.sync();
      expect(report.updated).toBe(1);
      const check = await r.job('vacuum');
      expect(check.origin?.details.command).toBe('VACUUM ANALYZE');
      expect(check.status).toBe('new');
    });

    it('keeps team-owned fields and follows a rename and a reschedule in place', async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'etl');
      await addRun(role, jobid, succeeded(T + MINUTE));
      await r.sync();
      const before = await r.job('etl');
      const team = {
        severity: 'low',
        description: 'loads the warehouse',
        tags: ['etl'],
        max_runtime: 300,
        success_criteria: 'rows > 0',
      };
      expect((await r.h.api('PATCH', `/checks/${before.id}`, team)).status).toBe(200);
      r.h.clock.set(T + 2 * MINUTE);
      await r.sync();
      expect((await r.job('etl')).status).toBe('up');

      await cluster.sql("UPDATE cron.job SET jobname = 'etl-v2', schedule = $2 WHERE jobid = $1", [
        jobid,
        `*/15 * ${ON_FAR_DAY}`,
      ]);
      r.h.clock.set(T + 3 * MINUTE);
      const report = await r.sync();

      expect(report).toMatchObject({ created: 0, updated: 1 });
      const after = await r.job('etl-v2');
      expect(after).toMatchObject({
        id: before.id,
        name: 'db1/etl-v2',
        schedule: { kind: 'cron', expression: `*/15 * ${ON_FAR_DAY}` },
        severity: 'low',
        description: 'loads the warehouse',
        tags: ['etl'],
        maxRuntime: 300,
        successCriteria: 'rows > 0',
        status: 'up',
        // the deadline follows the new schedule at once
        nextDeadline: T + 15 * MINUTE,
      });
      expect(await r.sync()).toMatchObject({ updated: 0 });
    });

    it('pauses the check of a deactivated job and resumes it when the job is active again', async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'rollup');
      await r.sync();
      await cluster.sql('SELECT cron.alter_job($1, active := false)', [jobid]);
      await r.sync();
      expect((await r.job('rollup')).status).toBe('paused');
      await cluster.sql('SELECT cron.alter_job($1, active := true)', [jobid]);
      await r.sync();
      const check = await r.job('rollup');
      expect(check.status).toBe('new');
      expect(await r.flips(check.id)).toEqual(['new->paused', 'paused->new']);
    });

    it('archives the check of an unscheduled job with its history, and continues it when the job is made again', async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'cleanup');
      await addRun(role, jobid, succeeded(T + MINUTE));
      r.h.clock.set(T + 2 * MINUTE);
      await r.sync();
      const check = await r.job('cleanup');

      await cluster.sql('SELECT cron.unschedule($1::bigint)', [jobid]);
      expect(await r.sync()).toMatchObject({ jobs: 0, archived: 1 });
      const archived = (await r.h.store.getCheck(check.id))!;
      expect(archived).toMatchObject({ status: 'paused', archivedAt: T + 2 * MINUTE });
      expect(await r.pings(check.id)).toHaveLength(1);
      const listed = await r.h.store.listChecks(r.h.project.id, {}, { limit: 100 });
      expect(listed.checks.map((c) => c.id)).not.toContain(check.id);

      const again = await schedule(role, 'cleanup');
      expect(await r.sync()).toMatchObject({ created: 0, updated: 1 });
      expect(await r.job('cleanup')).toMatchObject({
        id: check.id,
        status: 'new',
        archivedAt: null,
        origin: { sourceKey: String(again) },
      });
    });

    it('cuts a long job name so that its slug fits in 100 characters', async () => {
      const { r, role } = await rigForRole();
      await schedule(role, `refresh ${'materialized view '.repeat(8)}`);
      await r.sync();
      const [check] = (await r.h.store.listSourceChecks(r.source.id)).filter(
        (c) => c.origin?.sourceKey !== '',
      );
      expect(check!.slug).toMatch(/^db1\/refresh-materialized-view-/);
      expect(check!.slug.length).toBeLessThanOrEqual(100);
      expect(check!.slug).not.toMatch(/-$/);
    });

    it('gives a job whose slug another check holds a slug with its job id', async () => {
      const { r, role } = await rigForRole();
      const taken = await createCheck(r.h, { name: 'hand made', slug: 'db1/vacuum' });
      const jobid = await schedule(role, 'vacuum');
      await r.sync();
      expect((await r.job(`vacuum-${jobid}`)).origin).toMatchObject({ sourceKey: String(jobid) });
      expect((await r.h.store.getCheck(taken))!.origin).toBeNull();
    });
  });

  describe('runs', () => {
    it("feeds runs in as start, success and fail pings with pg_cron's times, messages and durations", async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'load');
      const ok = await addRun(role, jobid, {
        status: 'succeeded',
        start: T + MINUTE,
        end: T + MINUTE + 1500,
        message: 'INSERT 0 5',
      });
      const bad = await addRun(role, jobid, {
        status: 'failed',
        start: T + 2 * MINUTE,
        end: T + 2 * MINUTE + 200,
        message: 'ERROR:  disk full',
      });
      const open = await addRun(role, jobid, { status: 'running', start: T + 3 * MINUTE });
      r.h.clock.set(T + 4 * MINUTE);

      expect(await r.sync()).toMatchObject({ runs: 3 });

      const check = await r.job('load');
      const common = { method: 'pg_cron', source: 'db1', userAgent: null };
      expect(await r.pings(check.id)).toMatchObject([
        {
          ...common,
          kind: 'success',
          at: T + MINUTE + 1500,
          rid: String(ok),
          durationMs: 1500,
          body: 'INSERT 0 5',
        },
        {
          ...common,
          kind: 'fail',
          at: T + 2 * MINUTE + 200,
          rid: String(bad),
          durationMs: 200,
          body: 'ERROR:  disk full',
        },
        { ...common, kind: 'start', at: T + 3 * MINUTE, rid: String(open) },
      ]);
      const flips = await r.flipRows(check.id);
      expect(flips.map((f) => `${f.from}->${f.to}`)).toEqual(['new->up', 'up->down']);
      expect(flips[1]).toMatchObject({ event: 'failed', reason: 'run failed', at: T + 2 * MINUTE + 200 });
      expect(await r.alerts(check.id)).toBe(1);

      await cluster.sql(
        "UPDATE cron.job_run_details SET status = 'succeeded', end_time = to_timestamp($2 / 1000.0) WHERE runid = $1",
        [open, T + 3 * MINUTE + 30 * SECOND],
      );
      r.h.clock.set(T + 5 * MINUTE);
      expect(await r.sync()).toMatchObject({ runs: 1 });
      const pings = await r.pings(check.id);
      // timed by the state machine from the start it was given
      expect(pings.at(-1)).toMatchObject({ kind: 'success', rid: String(open), durationMs: 30 * SECOND });
      expect((await r.job('load')).status).toBe('up');
      expect(await r.alerts(check.id)).toBe(2);
    });

    it('reads each run once, across syncs and a restarted runner', async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'once');
      await addRun(role, jobid, succeeded(T + MINUTE));
      await addRun(role, jobid, succeeded(T + 2 * MINUTE));
      r.h.clock.set(T + 3 * MINUTE);
      expect(await r.sync()).toMatchObject({ runs: 2 });
      expect(await r.sync()).toMatchObject({ runs: 0 });

      const restarted = new SourceRunner(r.h.store, {
        clock: r.h.clock,
        logger: (await import('pino')).default({ level: 'silent' }),
        ingestor: r.h.ingestor,
        http: createHttpClient({ allowPrivateAddresses: true }),
        allowPrivateTargets: true,
        baseUrl: BASE_URL,
        newId: randomUUID,
      });
      expect(await restarted.syncNow(r.source.id)).toMatchObject({ ok: true, runs: 0 });
      await addRun(role, jobid, succeeded(T + 3 * MINUTE));
      expect(await restarted.syncNow(r.source.id)).toMatchObject({ runs: 1 });
      expect(await r.pings((await r.job('once')).id)).toHaveLength(3);
    });

    it('feeds each run once when two syncs of the source run at the same time', async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'twice');
      await addRun(role, jobid, succeeded(T + MINUTE));
      await addRun(role, jobid, succeeded(T + 2 * MINUTE));
      r.h.clock.set(T + 3 * MINUTE);
      const reports = await Promise.all([r.sync(), r.sync()]);
      expect(reports.map((x) => x.runs).sort()).toEqual([0, 2]);
      expect(await r.pings((await r.job('twice')).id)).toHaveLength(2);
    });

    it('makes a job whose run goes past its max runtime down, once the source was read after the limit', async () => {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, 'vacuum-full');
      await r.sync();
      const check = await r.job('vacuum-full');
      expect((await r.h.api('PATCH', `/checks/${check.id}`, { max_runtime: 60 })).status).toBe(200);
      const runid = await addRun(role, jobid, { status: 'running', start: T + MINUTE });
      r.h.clock.set(T + MINUTE + 10 * SECOND);
      await r.sync();

      // the limit passed, but nobody has looked at the source since: the run may have ended
      r.h.clock.set(T + 2 * MINUTE + SECOND);
      await r.sweep();
      expect((await r.job('vacuum-full')).status).toBe('new');

      r.h.clock.set(T + 2 * MINUTE + 2 * SECOND);
      await r.sync();
      await r.sweep();
      const flips = await r.flipRows(check.id);
      expect(flips.at(-1)).toMatchObject({
        to: 'down',
        event: 'too_long',
        reason: `run "${runid}" exceeded max runtime (1 minute)`,
      });
    });
  });

  describe("the source's health check", () => {
    it('stays up from sync to sync, though each sync lands a moment after the interval', async () => {
      const { r } = await rigForRole();
      await r.sync();
      // the next sync is due (T + 1 min) and the health check with it, but nobody has read yet
      r.h.clock.set(T + MINUTE + 500);
      await r.sweep();
      expect((await r.health()).status).toBe('up');
      r.h.clock.set(T + MINUTE + 900);
      await r.sync();
      r.h.clock.set(T + MINUTE + 1500);
      await r.sweep();
      const health = await r.health();
      expect(health.status).toBe('up');
      expect(await r.flips(health.id)).toEqual(['new->up']);
    });

    it('goes down when nobody has read the source for an interval and a minute past its due time', async () => {
      const { r } = await rigForRole();
      await r.sync();
      // the runner is stuck: no sync after T. Within the wait, the deadline waits for one.
      r.h.clock.set(T + MINUTE + MINUTE + MAX_SYNC_WAIT_MS - SECOND);
      await r.sweep();
      expect((await r.health()).status).toBe('up');
      r.h.clock.set(T + MINUTE + MINUTE + MAX_SYNC_WAIT_MS + SECOND);
      await r.sweep();
      const health = await r.health();
      expect(health.status).toBe('down');
      expect(await r.alerts(health.id)).toBe(1);
    });
  });

  describe('deadlines of discovered jobs', () => {
    /** A job that ran at T+1 min and was read at T+2 min: up, due again at T+10 min. */
    async function upJob(name: string) {
      const { r, role } = await rigForRole();
      const jobid = await schedule(role, name);
      await addRun(role, jobid, succeeded(T + MINUTE));
      r.h.clock.set(T + 2 * MINUTE);
      await r.sync();
      const check = await r.job(name);
      expect(check).toMatchObject({ status: 'up', nextDeadline: T + 10 * MINUTE });
      return { r, role, jobid, check };
    }

    it('calls a job that stopped running late, then down, without any run row', async () => {
      const { r, check } = await upJob('report');

      r.h.clock.set(T + 10 * MINUTE + SECOND);
      await r.sweep();
      // not yet: its run would only show at the next sync
      expect(await r.job('report')).toMatchObject({ status: 'up' });
      expect((await r.job('report')).nextDeadline).toBeGreaterThan(r.h.clock.now());

      r.h.clock.set(T + 10 * MINUTE + 5 * SECOND);
      await r.sync();
      await r.sweep();
      expect((await r.job('report')).status).toBe('late');

      r.h.clock.set(T + 12 * MINUTE + SECOND);
      await r.sweep();
      expect((await r.job('report')).status).toBe('late');
      await r.sync();
      await r.sweep();

      const flips = await r.flipRows(check.id);
      expect(flips.map((f) => `${f.from}->${f.to}`)).toEqual(['new->up', 'up->late', 'late->down']);
      expect(flips.at(-1)!.reason).toContain('expected a ping');
      expect(await r.pings(check.id)).toHaveLength(1);
      expect(await r.alerts(check.id)).toBe(2);
    });

    it('keeps a job that ran on time up when its run is seen at the sync after the deadline', async () => {
      const { r, role, jobid, check } = await upJob('on-time');
      await addRun(role, jobid, succeeded(T + 10 * MINUTE));

      r.h.clock.set(T + 10 * MINUTE + 30 * SECOND);
      await r.sweep();
      r.h.clock.set(T + 10 * MINUTE + 40 * SECOND);
      await r.sync();
      await r.sweep();

      expect(await r.job('on-time')).toMatchObject({ status: 'up', nextDeadline: T + 20 * MINUTE });
      expect(await r.flips(check.id)).toEqual(['new->up']);
    });

    it('leaves checks that are pinged to the sweep as before', async () => {
      const { r } = await rigForRole();
      const id = await createCheck(r.h);
      expect((await r.h.app.request(`/ping/${id}`, { method: 'POST' })).status).toBe(200);
      r.h.clock.set(T + 61 * SECOND);
      await r.sweep();
      expect((await r.h.store.getCheck(id))!.status).toBe('late');
    });
  });

  describe('a source that cannot be read', () => {
    it('is one alert; its jobs are unknown until it can be read, then catch up from the runs they missed', async () => {
      const proxy = new CutProxy(cluster.port);
      await proxy.restore();
      const { r, role } = await rigForRole({
        url: (role) => `postgres://${role}@127.0.0.1:${proxy.port}/postgres`,
      });
      const a = await schedule(role, 'a');
      const b = await schedule(role, 'b');
      await addRun(role, a, succeeded(T + MINUTE));
      await addRun(role, b, succeeded(T + MINUTE));
      r.h.clock.set(T + 2 * MINUTE);
      await r.sync();
      const [checkA, checkB, health] = [await r.job('a'), await r.job('b'), await r.health()];

      await proxy.cut();
      r.h.clock.set(T + 3 * MINUTE);
      const report = await r.sync();
      expect(report.ok).toBe(false);
      expect(report.error).toMatch(/^127\.0\.0\.1:\d+: connection refused/);
      r.h.clock.set(T + 4 * MINUTE);
      await r.sync();

      expect(await r.job('a')).toMatchObject({ status: 'unknown', nextDeadline: null });
      expect(await r.job('b')).toMatchObject({ status: 'unknown', nextDeadline: null });
      expect((await r.health()).status).toBe('down');
      expect((await r.pings(health.id)).at(-1)!.body).toBe(`cannot connect to db1: ${report.error}`);
      expect([await r.alerts(health.id), await r.alerts(checkA.id), await r.alerts(checkB.id)]).toEqual([
        1, 0, 0,
      ]);
      expect(await r.reload()).toMatchObject({ lastError: report.error, lastErrorAt: T + 4 * MINUTE });

      // a ran during the outage, b missed its run at T+10 min
      await addRun(role, a, succeeded(T + 10 * MINUTE));
      r.h.clock.set(T + 13 * MINUTE);
      await r.sweep();
      await proxy.restore();
      expect(await r.sync()).toMatchObject({ ok: true, runs: 1 });
      await r.sweep();

      expect(await r.flips(checkA.id)).toEqual(['new->up', 'up->unknown', 'unknown->up']);
      expect(await r.flips(checkB.id)).toEqual(['new->up', 'up->unknown', 'unknown->up', 'up->down']);
      expect((await r.health()).status).toBe('up');
      expect([await r.alerts(health.id), await r.alerts(checkA.id), await r.alerts(checkB.id)]).toEqual([
        2, 0, 1,
      ]);
      await proxy.cut();
    });

    it('says why without the password', async () => {
      const secret = 'wrong-Secret-456';
      await cluster.sql(
        `DO $$ BEGIN CREATE ROLE ${PASSWORD_ROLE} LOGIN PASSWORD 'right-Secret-123'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
      );
      const r = await sourceRig({ url: cluster.url(PASSWORD_ROLE, 'postgres', secret) }, { at: T });
      rigs.push(r);
      const report = await r.sync();
      expect(report.error).toContain(`password authentication failed for user "${PASSWORD_ROLE}"`);
      const said = [
        report.error,
        (await r.reload()).lastError,
        (await r.pings((await r.health()).id)).at(-1)!.body,
      ];
      for (const text of said) expect(text).not.toContain(secret);
    });

    it('says so when the database has no pg_cron', async () => {
      const r = await sourceRig({ url: cluster.url('postgres', 'template1') }, { at: T });
      rigs.push(r);
      expect((await r.sync()).error).toContain('pg_cron is not installed in this database');
    });
  });

  describe('the loop', () => {
    it('syncs a source when it is due, and again a sync interval later', async () => {
      const { r } = await rigForRole();
      const health = await r.health();
      const isHealthPing = (n: number) => (c: { check: { id: string; pingSeq: number } }) =>
        c.check.id === health.id && c.check.pingSeq === n;
      const first = r.announcement(isHealthPing(1));
      r.runner.start();
      await first;
      const second = r.announcement(isHealthPing(2));
      r.h.clock.set(T + 60 * SECOND);
      await second;
      expect(await r.reload()).toMatchObject({ lastSuccessAt: T + 60 * SECOND });
    });
  });
});
