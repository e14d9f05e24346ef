// GET/PATCH /api/v1/project: the API key's project and its settings (the silence period
// between reminders).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { createCheck, expectApiError, iso, json } from './api-helpers.ts';

interface ProjectView {
  id: string;
  name: string;
  silence_period: number;
  created_at: string;
}

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

async function getProject(key?: string): Promise<ProjectView> {
  const res = await h.api('GET', '/project', undefined, key);
  expect(res.status).toBe(200);
  return json<ProjectView>(res);
}

describe('GET /project', () => {
  it('answers the key’s project with a silence period of 3600 s by default', async () => {
    expect(await getProject()).toEqual({
      id: h.project.id,
      name: 'main',
      silence_period: 3600,
      created_at: iso(T0),
    });
  });

  it('answers another key’s own project', async () => {
    expect((await getProject(h.other.key)).id).toBe(h.other.project.id);
  });

  it('lets a read-only key read', async () => {
    expect((await getProject(h.readOnlyKey)).id).toBe(h.project.id);
  });
});

describe('PATCH /project', () => {
  it('changes the silence period (200) and keeps it', async () => {
    const res = await h.api('PATCH', '/project', { silence_period: 600 });
    expect(res.status).toBe(200);
    expect(await json<ProjectView>(res)).toMatchObject({ id: h.project.id, silence_period: 600 });
    expect((await getProject()).silence_period).toBe(600);
  });

  it('leaves another project’s silence period alone', async () => {
    await h.api('PATCH', '/project', { silence_period: 600 });
    expect((await getProject(h.other.key)).silence_period).toBe(3600);
  });

  it('changes nothing for an empty body', async () => {
    const res = await h.api('PATCH', '/project', {});
    expect(res.status).toBe(200);
    expect((await json<ProjectView>(res)).silence_period).toBe(3600);
  });

  it('accepts exactly 60 s', async () => {
    expect((await h.api('PATCH', '/project', { silence_period: 60 })).status).toBe(200);
  });

  it.each([
    ['under 60 s', 59, /must be at least 60 s/],
    ['over 7 days', 604_801, /must be at most 7 days/],
    ['fractional', 90.5, /whole number of seconds/],
    ['a string', '600', /./],
  ])(
    'answers 400 naming silence_period for a value %s, and keeps the old one',
    async (_what, value, message) => {
      const res = await h.api('PATCH', '/project', { silence_period: value });
      const error = await expectApiError(res, 400, /^silence_period: /);
      expect(error.message).toMatch(message);
      expect((await getProject()).silence_period).toBe(3600);
    },
  );

  it('answers 400 naming an unknown field', async () => {
    const res = await h.api('PATCH', '/project', { silence_period: 600, name: 'renamed' });
    await expectApiError(res, 400, /unknown field "name"/);
    expect(await getProject()).toMatchObject({ name: 'main', silence_period: 3600 });
  });

  it('answers 403 to a read-only key and keeps the old value', async () => {
    const res = await h.api('PATCH', '/project', { silence_period: 600 }, h.readOnlyKey);
    await expectApiError(res, 403, /read-only/);
    expect((await getProject()).silence_period).toBe(3600);
  });

  it.each([
    ['PUT', 'GET, PATCH'],
    ['POST', 'GET, PATCH'],
    ['DELETE', 'GET, PATCH'],
  ])('answers %s with 405 and Allow', async (method, allow) => {
    const res = await h.api(method, '/project');
    await expectApiError(res, 405, /not allowed here/);
    expect(res.headers.get('allow')).toBe(allow);
  });
});

describe('the silence period', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  it('spaces reminders about a check that stays down, however often the check asks', async () => {
    await h.api('POST', '/channels', { kind: 'webhook', name: 'hook', config: { url: receiver.url } });
    const check = await createCheck(h, { name: 'job', schedule: { kind: 'none' }, realert_every: 60 });
    expect((await h.api('PATCH', '/project', { silence_period: 600 })).status).toBe(200);
    expect((await h.app.request(`/ping/${check.id}/fail`)).status).toBe(200);

    const count = async () => {
      const res = await h.api('GET', `/checks/${check.id}/notifications`);
      return (await json<{ notifications: unknown[] }>(res)).notifications.length;
    };
    expect(await count()).toBe(1);

    // realert_every is 60 s, but the project says no closer than 600 s
    await h.scheduler.runTimers(T0 + 599_000);
    expect(await count()).toBe(1);
    await h.scheduler.runTimers(T0 + 600_000);
    expect(await count()).toBe(2);
  });
});
