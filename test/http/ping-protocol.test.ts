// The ping protocol at /ping, wire-compatible with Healthchecks.io: what a job's curl sees,
// and what the check and its ping history look like afterwards.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type CheckView, createCheck, getCheck, iso, json, listFlips, listPings } from './api-helpers.ts';

const FIVE_MINUTES = { kind: 'interval', period: 300, grace: 60 } as const;
const RUN_A = '2f1c3a52-8a3e-4d6b-9f3a-0b9c1d2e3f40';
const RUN_B = '7d4e5f60-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
const NO_SUCH_CHECK = '4b4e8d6a-0f59-4e2c-9d4b-8f1b1b7a7a7a';

let h: Harness;
afterEach(() => h.close());

function ping(path: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(h.app.request(`/ping/${path}`, init));
}

async function expectText(res: Response, status: number, text: string | RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const body = await res.text();
  if (typeof text === 'string') expect(body).toBe(text);
  else expect(body).toMatch(text);
}

describe('default harness', () => {
  let check: CheckView;
  beforeEach(async () => {
    h = await createHarness();
    check = await createCheck(h, { name: 'Backup', schedule: FIVE_MINUTES });
  });

  describe('by UUID', () => {
    it('answers 200 "OK" in plain text to a success ping and marks the check up', async () => {
      await expectText(await ping(check.id), 200, 'OK');
      expect(await getCheck(h, check.id)).toMatchObject({
        status: 'up',
        last_ping_at: iso(T0),
        next_deadline: iso(T0 + 300_000),
      });
    });

    it('marks a run as started with /start', async () => {
      await expectText(await ping(`${check.id}/start`), 200, 'OK');
      expect((await getCheck(h, check.id)).running).toBe(true);
      expect((await listPings(h, check.id))[0]!.kind).toBe('start');
    });

    it('marks the check down with /fail', async () => {
      await expectText(await ping(`${check.id}/fail`), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('down');
    });

    it('records /log without changing the check', async () => {
      await expectText(await ping(`${check.id}/log`), 200, 'OK');
      expect(await getCheck(h, check.id)).toMatchObject({ status: 'new', last_ping_at: null });
      expect((await listPings(h, check.id)).map((p) => p.kind)).toEqual(['log']);
    });

    it('counts exit status 0 as success', async () => {
      await expectText(await ping(`${check.id}/0`), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('up');
      expect((await listPings(h, check.id))[0]).toMatchObject({ kind: 'exit', exit_status: 0 });
    });

    it('counts exit status 1 as a failure', async () => {
      await ping(check.id);
      await expectText(await ping(`${check.id}/1`), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('down');
      expect((await listFlips(h, check.id))[0]!.reason).toBe('exited with status 1');
    });

    it('counts exit status 255 as a failure and stores it', async () => {
      await expectText(await ping(`${check.id}/255`), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('down');
      expect((await listPings(h, check.id))[0]).toMatchObject({ kind: 'exit', exit_status: 255 });
    });

    it('answers 400 to exit status 256 and records nothing', async () => {
      await expectText(await ping(`${check.id}/256`), 400, /invalid exit status/);
      expect(await listPings(h, check.id)).toEqual([]);
    });

    it('accepts the UUID in upper case', async () => {
      await expectText(await ping(check.id.toUpperCase()), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('up');
    });

    it('answers 404 "not found" for an unknown UUID', async () => {
      await expectText(await ping(NO_SUCH_CHECK), 404, 'not found');
    });

    it('answers 404 for a deleted check', async () => {
      await h.api('DELETE', `/checks/${check.id}`);
      await expectText(await ping(check.id), 404, 'not found');
    });

    it('answers 404 for a bare /ping', async () => {
      await expectText(await h.app.request('/ping'), 404, 'not found');
    });

    it('answers 404 for a path with malformed escapes', async () => {
      await expectText(await ping(`${h.project.pingKey}/%E0%A4%A`), 404, 'not found');
    });
  });

  describe('by ping key and slug', () => {
    const bySlug = (suffix = '') => ping(`${h.project.pingKey}/backup${suffix}`);

    it('answers 200 "OK" to a success ping and marks the check up', async () => {
      await expectText(await bySlug(), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('up');
    });

    it('marks a run as started with /start', async () => {
      await expectText(await bySlug('/start'), 200, 'OK');
      expect((await getCheck(h, check.id)).running).toBe(true);
    });

    it('marks the check down with /fail', async () => {
      await expectText(await bySlug('/fail'), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('down');
    });

    it('records /log without changing the check', async () => {
      await expectText(await bySlug('/log'), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('new');
      expect((await listPings(h, check.id)).map((p) => p.kind)).toEqual(['log']);
    });

    it('reads exit statuses 0, 1 and 255', async () => {
      await expectText(await bySlug('/0'), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('up');
      await expectText(await bySlug('/1'), 200, 'OK');
      expect((await getCheck(h, check.id)).status).toBe('down');
      await expectText(await bySlug('/255'), 200, 'OK');
      expect((await listPings(h, check.id)).map((p) => p.exit_status)).toEqual([255, 1, 0]);
    });

    it('answers 400 to exit status 256', async () => {
      await expectText(await bySlug('/256'), 400, /invalid exit status/);
    });

    it('answers 404 "not found" for an unknown slug', async () => {
      await expectText(await ping(`${h.project.pingKey}/nightly`), 404, 'not found');
      expect((await h.api('GET', '/checks?slug=nightly').then(json<{ checks: unknown[] }>)).checks).toEqual(
        [],
      );
    });

    it('creates an unknown slug with ?create=1 and answers 201 "Created"', async () => {
      await expectText(await ping(`${h.project.pingKey}/nightly?create=1`), 201, 'Created');
      const { checks } = await json<{ checks: CheckView[] }>(await h.api('GET', '/checks?slug=nightly'));
      expect(checks).toHaveLength(1);
      expect(checks[0]).toMatchObject({
        name: 'nightly',
        status: 'up',
        schedule: { kind: 'interval', period: 86_400, grace: 3_600 },
      });
    });

    it('answers 200 "OK" with ?create=1 when the slug exists', async () => {
      await expectText(await bySlug('?create=1'), 200, 'OK');
      expect((await json<{ checks: unknown[] }>(await h.api('GET', '/checks'))).checks).toHaveLength(1);
    });

    it('creates with ?create=1 and applies the ping’s kind', async () => {
      await expectText(await ping(`${h.project.pingKey}/nightly/fail?create=1`), 201, 'Created');
      const { checks } = await json<{ checks: CheckView[] }>(await h.api('GET', '/checks?slug=nightly'));
      expect(checks[0]!.status).toBe('down');
    });

    it('answers 400 with ?create=1 for a slug that is not valid', async () => {
      await expectText(await ping(`${h.project.pingKey}/Not_Valid?create=1`), 400, /invalid slug/);
    });

    it.each(['log', 'start', 'fail', '42', '2024'])(
      'reaches a check whose whole slug is "%s"',
      async (slug) => {
        expect((await h.api('PUT', `/checks/by-slug/${slug}`, {})).status).toBe(201);
        await expectText(await ping(`${h.project.pingKey}/${slug}`), 200, 'OK');
        await expectText(await ping(`${h.project.pingKey}/${slug}/fail`), 200, 'OK');
        const { checks } = await json<{ checks: CheckView[] }>(await h.api('GET', `/checks?slug=${slug}`));
        expect(checks[0]!.status).toBe('down');
      },
    );

    it('creates a check whose slug is a number with ?create=1', async () => {
      await expectText(await ping(`${h.project.pingKey}/2024?create=1`), 201, 'Created');
    });

    it.each(['a//b', 'a/./b', 'a/../b', 'zz/'])(
      'refuses the slug "%s", which no ping URL could reach',
      async (slug) => {
        const res = await h.api('POST', '/checks', { slug });
        expect(res.status).toBe(400);
      },
    );

    it('does not read an empty path segment as nothing', async () => {
      await h.api('POST', '/checks', { slug: 'a/b' });
      await expectText(await ping(`${h.project.pingKey}/a//b`), 404, 'not found');
      await expectText(await ping(`${h.project.pingKey}/a/b`), 200, 'OK');
    });

    it('answers 404 for an unknown ping key, even with ?create=1', async () => {
      await expectText(await ping('unknownpingkey123/backup?create=1'), 404, 'not found');
    });

    it('answers 404 for another project’s ping key and this project’s slug', async () => {
      await expectText(await ping(`${h.other.project.pingKey}/backup`), 404, 'not found');
      expect((await getCheck(h, check.id)).status).toBe('new');
    });
  });

  describe('methods', () => {
    it('accepts POST', async () => {
      await expectText(await ping(check.id, { method: 'POST' }), 200, 'OK');
      expect((await listPings(h, check.id))[0]!.method).toBe('POST');
    });

    it('accepts HEAD and records it', async () => {
      const res = await ping(check.id, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect((await getCheck(h, check.id)).status).toBe('up');
      expect((await listPings(h, check.id))[0]!.method).toBe('HEAD');
    });

    it('answers 405 to PUT, with the methods it takes, and records nothing', async () => {
      const res = await ping(check.id, { method: 'PUT', body: 'x' });
      expect(res.headers.get('allow')).toBe('GET, POST, HEAD');
      await expectText(res, 405, /use GET, POST or HEAD/);
      expect(await listPings(h, check.id)).toEqual([]);
    });

    it('ignores GET pings to a check that takes POST only: it stays new, nothing recorded', async () => {
      const strict = await createCheck(h, { name: 'Strict', methods: 'post' });
      await ping(strict.id);
      await ping(strict.id, { method: 'HEAD' });
      expect((await getCheck(h, strict.id)).status).toBe('new');
      expect(await listPings(h, strict.id)).toEqual([]);
    });

    it('takes POST pings to a check that takes POST only', async () => {
      const strict = await createCheck(h, { name: 'Strict', methods: 'post' });
      await ping(strict.id, { method: 'POST' });
      expect((await getCheck(h, strict.id)).status).toBe('up');
    });
  });

  describe('what a ping stores', () => {
    it('stores the body of a POST', async () => {
      await ping(check.id, { method: 'POST', body: 'dumped 42 tables\n' });
      expect((await listPings(h, check.id))[0]).toMatchObject({
        body: 'dumped 42 tables\n',
        truncated: false,
      });
    });

    it('stores no body for a GET', async () => {
      await ping(check.id);
      expect((await listPings(h, check.id))[0]).toMatchObject({ body: null, truncated: false });
    });

    it('stores the time, source address and user agent', async () => {
      h.clock.advance(1234);
      await ping(check.id, { headers: { 'User-Agent': 'curl/8.5.0' } });
      expect((await listPings(h, check.id))[0]).toMatchObject({
        at: iso(T0 + 1234),
        source: '127.0.0.1',
        user_agent: 'curl/8.5.0',
      });
    });

    it('ignores X-Forwarded-For when the proxy is not trusted', async () => {
      await ping(check.id, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
      expect((await listPings(h, check.id))[0]!.source).toBe('127.0.0.1');
    });

    it('takes the address the trusted proxy added (the last X-Forwarded-For entry), and only an IP', async () => {
      const proxied = await createHarness({ trustProxy: true });
      try {
        const res = await proxied.api('POST', '/checks', { name: 'behind proxy' });
        const { id } = (await res.json()) as { id: string };
        const send = (xff: string) =>
          proxied.app.request(`/ping/${id}`, { headers: { 'X-Forwarded-For': xff } });
        await send('198.51.100.1, 203.0.113.9');
        expect((await listPings(proxied, id))[0]!.source).toBe('203.0.113.9');
        await send('<script>');
        expect((await listPings(proxied, id))[0]!.source).toBe('127.0.0.1');
      } finally {
        await proxied.close();
      }
    });

    it('numbers the pings and lists them newest first', async () => {
      for (let i = 0; i < 3; i++) await ping(check.id);
      expect((await listPings(h, check.id)).map((p) => p.n)).toEqual([3, 2, 1]);
    });
  });

  describe('run ids', () => {
    it('pairs a start with its end by ?rid and stores the duration', async () => {
      await ping(`${check.id}/start?rid=${RUN_A}`);
      h.clock.advance(4500);
      await ping(`${check.id}?rid=${RUN_A}`);
      const [end] = await listPings(h, check.id);
      expect(end).toMatchObject({ kind: 'success', rid: RUN_A, duration_ms: 4500 });
      expect((await getCheck(h, check.id)).running).toBe(false);
    });

    it('keeps overlapping runs with two rids apart', async () => {
      await ping(`${check.id}/start?rid=${RUN_A}`);
      h.clock.advance(1000);
      await ping(`${check.id}/start?rid=${RUN_B}`);
      h.clock.advance(9000);
      await ping(`${check.id}?rid=${RUN_A}`);
      expect((await getCheck(h, check.id)).running).toBe(true);
      h.clock.advance(2000);
      await ping(`${check.id}/fail?rid=${RUN_B}`);
      const [endB, endA] = await listPings(h, check.id);
      expect(endA).toMatchObject({ rid: RUN_A, duration_ms: 10_000 });
      expect(endB).toMatchObject({ rid: RUN_B, kind: 'fail', duration_ms: 11_000 });
      expect((await getCheck(h, check.id)).running).toBe(false);
    });

    it('pairs a start and an end sent without a rid', async () => {
      await ping(`${check.id}/start`);
      h.clock.advance(3000);
      await ping(`${check.id}/0`);
      expect((await listPings(h, check.id))[0]).toMatchObject({ rid: null, duration_ms: 3000 });
    });

    it('stores no duration for an end with an unknown rid', async () => {
      await ping(`${check.id}/start?rid=${RUN_A}`);
      h.clock.advance(1000);
      await ping(`${check.id}?rid=${RUN_B}`);
      expect((await listPings(h, check.id))[0]!.duration_ms).toBeNull();
    });

    it('answers 400 to a rid that is not a UUID and records nothing', async () => {
      await expectText(await ping(`${check.id}/start?rid=run-1`), 400, /invalid rid/);
      expect(await listPings(h, check.id)).toEqual([]);
    });
  });

  describe('status changes', () => {
    it('leaves an up check as it is on a log ping', async () => {
      await ping(check.id);
      h.clock.advance(10_000);
      await ping(`${check.id}/log`, { method: 'POST', body: 'still working' });
      expect(await getCheck(h, check.id)).toMatchObject({
        status: 'up',
        last_ping_at: iso(T0),
        next_deadline: iso(T0 + 300_000),
      });
      expect(await listFlips(h, check.id)).toHaveLength(1);
    });

    it('leaves a down check down on a log ping', async () => {
      await ping(`${check.id}/fail`);
      await ping(`${check.id}/log`);
      expect((await getCheck(h, check.id)).status).toBe('down');
    });

    it('moves a check down on a fail and up on a success, recording both flips', async () => {
      await ping(check.id);
      h.clock.advance(1000);
      await ping(`${check.id}/fail`);
      expect((await getCheck(h, check.id)).status).toBe('down');
      h.clock.advance(1000);
      await ping(check.id);
      expect((await getCheck(h, check.id)).status).toBe('up');
      expect((await listFlips(h, check.id)).map((f) => [f.from, f.to, f.reason])).toEqual([
        ['down', 'up', 'success ping received'],
        ['up', 'down', 'run failed'],
        ['new', 'up', 'ping received'],
      ]);
    });

    it('resumes a paused check on a ping', async () => {
      await ping(check.id);
      await h.api('POST', `/checks/${check.id}/pause`);
      h.clock.advance(1000);
      await ping(check.id);
      expect(await getCheck(h, check.id)).toMatchObject({
        status: 'up',
        next_deadline: iso(T0 + 1000 + 300_000),
      });
      expect((await listFlips(h, check.id))[0]).toMatchObject({ from: 'paused', to: 'up' });
    });

    it('keeps a paused manual_resume check paused on a ping', async () => {
      const manual = await createCheck(h, { name: 'Manual', manual_resume: true });
      await h.api('POST', `/checks/${manual.id}/pause`);
      await expectText(await ping(manual.id), 200, 'OK');
      expect((await getCheck(h, manual.id)).status).toBe('paused');
    });

    it('keeps a down manual_resume check down on a success ping', async () => {
      const manual = await createCheck(h, { name: 'Manual', manual_resume: true });
      await ping(`${manual.id}/fail`);
      await ping(manual.id);
      expect((await getCheck(h, manual.id)).status).toBe('down');
    });
  });

  describe('CORS', () => {
    it('allows any origin on ping responses', async () => {
      const res = await ping(check.id, { headers: { Origin: 'https://dashboard.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('answers a preflight for a POST ping', async () => {
      const res = await ping(check.id, {
        method: 'OPTIONS',
        headers: { Origin: 'https://dashboard.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(await listPings(h, check.id)).toEqual([]);
    });
  });
});

describe('with a ping body limit of 100 bytes', () => {
  let check: CheckView;
  beforeEach(async () => {
    h = await createHarness({ pingBodyLimit: 100 });
    check = await createCheck(h, { name: 'Backup' });
  });

  it('stores the first 100 bytes of a longer body and flags it truncated', async () => {
    const body = `${'a'.repeat(100)}${'b'.repeat(50)}`;
    await expectText(await ping(check.id, { method: 'POST', body }), 200, 'OK');
    expect((await listPings(h, check.id))[0]).toMatchObject({ body: 'a'.repeat(100), truncated: true });
  });

  it('stores a body of exactly 100 bytes whole', async () => {
    await ping(check.id, { method: 'POST', body: 'c'.repeat(100) });
    expect((await listPings(h, check.id))[0]).toMatchObject({ body: 'c'.repeat(100), truncated: false });
  });

  it('tells the client the limit', async () => {
    const res = await ping(check.id, { method: 'POST', body: 'x' });
    expect(res.headers.get('ping-body-limit')).toBe('100');
  });
});

describe('with a retention of 5 pings', () => {
  beforeEach(async () => {
    h = await createHarness({ retention: 5 });
  });

  it('keeps only the newest 5 pings of a check', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    for (let i = 0; i < 8; i++) await ping(check.id);
    expect((await listPings(h, check.id)).map((p) => p.n)).toEqual([8, 7, 6, 5, 4]);
  });
});
