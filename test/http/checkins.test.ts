import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type CheckView, createCheck, expectApiError, json, listPings } from './api-helpers.ts';

type Answer = { check: CheckView; status: string };

const HOURLY = { kind: 'interval', period: 3600, grace: 120 };

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ pingBodyLimit: 100 });
});
afterEach(() => h.close());

const checkin = (body: unknown, key?: string) => h.api('POST', '/checkins', body, key);

describe('POST /api/v1/checkins', () => {
  it('creates the check from config and records the check-in (201)', async () => {
    const res = await checkin({
      slug: 'nightly-backup',
      status: 'ok',
      config: { name: 'Nightly backup', schedule: HOURLY, tags: ['db'], severity: 'critical' },
    });
    expect(res.status).toBe(201);
    const body = await json<Answer>(res);
    expect(body.status).toBe('recorded');
    expect(body.check).toMatchObject({
      slug: 'nightly-backup',
      name: 'Nightly backup',
      schedule: HOURLY,
      tags: ['db'],
      severity: 'critical',
      status: 'up',
    });
    expect(await listPings(h, body.check.id)).toEqual([
      expect.objectContaining({ kind: 'success', method: 'POST', source: '127.0.0.1' }),
    ]);
  });

  it('updates an existing check from config (200), leaving other fields alone', async () => {
    const made = await createCheck(h, { slug: 'db-vacuum', name: 'DB vacuum', tags: ['db'] });
    const res = await checkin({ slug: 'db-vacuum', status: 'ok', config: { schedule: HOURLY } });
    expect(res.status).toBe(200);
    const { check } = await json<Answer>(res);
    expect(check.id).toBe(made.id);
    expect(check).toMatchObject({ name: 'DB vacuum', tags: ['db'], schedule: HOURLY });
  });

  it('records a plain check-in for a known slug, with its message and run id', async () => {
    const made = await createCheck(h, { slug: 'report' });
    const rid = '7f1c1a52-49b8-4d7e-9a0c-0d1e2f3a4b5c';
    const res = await checkin({ slug: 'report', status: 'ok', run_id: rid, message: 'sent 12 mails' });
    expect(res.status).toBe(200);
    expect((await json<Answer>(res)).check.status).toBe('up');
    const [ping] = await listPings(h, made.id);
    expect(ping).toMatchObject({ kind: 'success', rid, body: 'sent 12 mails' });
  });

  it('measures the run from in_progress to ok', async () => {
    const made = await createCheck(h, { slug: 'etl' });
    expect((await checkin({ slug: 'etl', status: 'in_progress' })).status).toBe(200);
    expect((await getRunning(made.id)).running).toBe(true);
    h.clock.advance(42_000);
    await checkin({ slug: 'etl', status: 'ok', duration: 1 });
    const [end, start] = await listPings(h, made.id);
    expect(start).toMatchObject({ kind: 'start' });
    // the server's own measure wins over the client's figure
    expect(end).toMatchObject({ kind: 'success', duration_ms: 42_000 });
  });

  it('records the client’s duration when no run was started', async () => {
    const made = await createCheck(h, { slug: 'etl' });
    await checkin({ slug: 'etl', status: 'error', duration: 1234 });
    const [ping] = await listPings(h, made.id);
    expect(ping).toMatchObject({ kind: 'fail', duration_ms: 1234 });
  });

  it('marks the check down on error', async () => {
    await createCheck(h, { slug: 'backup', schedule: HOURLY });
    const res = await checkin({ slug: 'backup', status: 'error', message: 'disk full' });
    expect((await json<Answer>(res)).check.status).toBe('down');
  });

  it('answers 404 for an unknown slug without config', async () => {
    await expectApiError(
      await checkin({ slug: 'nope', status: 'ok' }),
      404,
      /no check with slug "nope".*send config to create it/,
    );
  });

  it('refuses a read-only key (403)', async () => {
    await expectApiError(
      await checkin({ slug: 'x', status: 'ok', config: { schedule: HOURLY } }, h.readOnlyKey),
      403,
    );
  });

  it.each([
    [{ slug: 'x', status: 'done' }, /status/],
    [{ status: 'ok' }, /slug/],
    [{ slug: 'Not A Slug', status: 'ok' }, /slug: use 1-100 lowercase/],
    [{ slug: 'x', status: 'ok', duration: -1 }, /duration: must be at least 0 ms/],
    [
      { slug: 'x', status: 'in_progress', duration: 5 },
      /duration: a duration goes with status "ok" or "error"/,
    ],
    [{ slug: 'x', status: 'ok', run_id: 'abc' }, /run_id: must be a UUID/],
    [{ slug: 'x', status: 'ok', message: 'x'.repeat(101) }, /message: must be at most 100 bytes/],
    [{ slug: 'x', status: 'ok', config: { name: 'X' } }, /config\.schedule/],
    [
      { slug: 'x', status: 'ok', config: { schedule: { kind: 'cron', expression: 'nope' } } },
      /config\.schedule\.expression/,
    ],
    [{ slug: 'x', status: 'ok', extra: 1 }, /unknown field "extra"/],
  ])('answers 400 for %j', async (body, message) => {
    await expectApiError(await checkin(body), 400, message);
  });

  it('only sees checks of the key’s project', async () => {
    const mine = await createCheck(h, { slug: 'shared-name' });
    await expectApiError(await checkin({ slug: 'shared-name', status: 'ok' }, h.other.key), 404);
    const res = await checkin(
      { slug: 'shared-name', status: 'ok', config: { schedule: HOURLY } },
      h.other.key,
    );
    expect(res.status).toBe(201);
    expect((await json<Answer>(res)).check.id).not.toBe(mine.id);
    expect(await listPings(h, mine.id)).toEqual([]);
  });
});

async function getRunning(id: string): Promise<CheckView> {
  return json<CheckView>(await h.api('GET', `/checks/${id}`));
}
