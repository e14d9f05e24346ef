// The live event streams at /api/v1/events and /api/v1/checks/{id}/events, read as an
// EventSource reads them: events caused by real pings and sweeps, who sees what, resuming
// after a dropped connection, and clients too slow to keep.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/events/bus.ts';
import { eventStream } from '../../src/http/event-stream.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { signIn } from '../helpers/web.ts';
import { createCheck, MINUTE, ping, SECOND } from '../scheduler/fixtures.ts';
import { expectApiError, iso } from './api-helpers.ts';
import { SseReader } from './sse-reader.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

function open(
  path = '/events',
  headers: Record<string, string> = { 'X-Api-Key': h.key },
  signal?: AbortSignal,
) {
  return Promise.resolve(h.app.request(`/api/v1${path}`, { headers, ...(signal ? { signal } : {}) }));
}

async function stream(path?: string, headers?: Record<string, string>): Promise<SseReader> {
  return new SseReader(await open(path, headers));
}

/** An event on the bus straight away, as a commit would publish it. */
function publish(projectId = h.project.id, data: Record<string, unknown> = {}): LiveEvent {
  return h.bus.publish({ type: 'ping', projectId, checkId: 'c-1', at: h.clock.now(), data });
}

describe('GET /api/v1/events', () => {
  it('answers with an unbuffered event stream that starts with the retry interval', async () => {
    const res = await open();
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = new SseReader(res);
    expect(await reader.frame()).toMatchObject({ retry: 3000 });
    await reader.cancel();
  });

  it('sends a ping event for a ping through the ping route', async () => {
    const id = await createCheck(h, { name: 'backup' });
    const reader = await stream();
    await ping(h, id);
    const [pingEvent, flip] = await reader.events(2);
    expect(pingEvent).toMatchObject({
      event: 'ping',
      data: {
        check: { id, name: 'backup', status: 'up' },
        check_id: id,
        project_id: h.project.id,
        at: iso(T0),
        n: 1,
        kind: 'success',
      },
    });
    expect(pingEvent!.id).toMatch(/^[0-9a-z]+-\d+$/);
    expect(flip).toMatchObject({ event: 'flip', data: { from: 'new', to: 'up' } });
    await reader.cancel();
  });

  it('sends flip and incident.opened when a deadline sweep marks a check down', async () => {
    const id = await createCheck(h);
    await ping(h, id);
    const reader = await stream();
    h.clock.set(T0 + MINUTE);
    await h.scheduler.sweep(h.clock.now());
    h.clock.set(T0 + MINUTE + 30 * SECOND);
    await h.scheduler.sweep(h.clock.now());
    const events = await reader.events(3);
    expect(events.map((e) => [e.event, e.data.from, e.data.to])).toEqual([
      ['flip', 'up', 'late'],
      ['flip', 'late', 'down'],
      ['incident.opened', undefined, undefined],
    ]);
    const incident = (await h.store.listIncidents([h.project.id], { open: true, limit: 1 }))[0]!;
    expect(events[2]!.data).toMatchObject({ check_id: id, incident_id: incident.id });
    await reader.cancel();
  });

  it('shows a key of another project none of these events', async () => {
    const mine = await createCheck(h);
    const theirs = await createCheck(h, {}, h.other.key);
    const reader = await stream('/events', { 'X-Api-Key': h.other.key });
    await ping(h, mine);
    await ping(h, theirs);
    // the first event it gets is the other project's own
    expect((await reader.event()).data).toMatchObject({ check_id: theirs, project_id: h.other.project.id });
    await reader.cancel();
  });

  it('takes a read-only key, as a Bearer token too', async () => {
    const reader = await stream('/events', { Authorization: `Bearer ${h.readOnlyKey}` });
    const sent = publish();
    expect((await reader.event()).id).toBe(sent.id);
    await reader.cancel();
  });

  it('takes the dashboard session cookie, for the events of the user’s projects', async () => {
    const browser = await signIn(h, { role: 'read-only' });
    const reader = await stream('/events', { cookie: browser.cookie });
    publish(h.other.project.id);
    const sent = publish(h.project.id);
    expect((await reader.event()).id).toBe(sent.id);
    await reader.cancel();
  });

  it('answers 401 without a key or session, and for a wrong key even with a session', async () => {
    await expectApiError(await open('/events', {}), 401, /API key|sign in/);
    await expectApiError(await open('/events', { cookie: 'vigil_session=nope' }), 401);
    const browser = await signIn(h);
    await expectApiError(
      await open('/events', { cookie: browser.cookie, 'X-Api-Key': 'vgl_wrong' }),
      401,
      /not valid/,
    );
    expect(h.bus.listenerCount).toBe(0);
  });

  it('answers 405 to other methods', async () => {
    const res = await h.api('POST', '/events');
    await expectApiError(res, 405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('is described in the OpenAPI document as an event stream', async () => {
    const doc = (await (await h.app.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }>;
    };
    for (const path of ['/events', '/checks/{id}/events']) {
      expect(Object.keys(doc.paths[path]?.get?.responses['200']?.content ?? {})).toEqual([
        'text/event-stream',
      ]);
    }
  });
});

describe('GET /api/v1/checks/{id}/events', () => {
  it('sends only that check’s events', async () => {
    const [a, b] = [await createCheck(h), await createCheck(h)];
    const reader = await stream(`/checks/${a}/events`);
    await ping(h, b);
    await ping(h, a);
    expect(await reader.events(2)).toMatchObject([
      { event: 'ping', data: { check_id: a } },
      { event: 'flip', data: { check_id: a } },
    ]);
    await reader.cancel();
  });

  it('answers 404 for another project’s check or a malformed id', async () => {
    const theirs = await createCheck(h, {}, h.other.key);
    await expectApiError(await open(`/checks/${theirs}/events`), 404, /check not found/);
    await expectApiError(await open('/checks/not-a-uuid/events'), 404);
    const browser = await signIn(h);
    await expectApiError(await open(`/checks/${theirs}/events`, { cookie: browser.cookie }), 404);
    expect(h.bus.listenerCount).toBe(0);
  });
});

describe('resuming with Last-Event-ID', () => {
  it('sends exactly the missed events, in order, then live ones', async () => {
    const first = await stream();
    const before = [publish(), publish(), publish(), publish()];
    const seen = await first.events(3); // the fourth was sent but never read
    expect(seen.map((e) => e.id)).toEqual(before.slice(0, 3).map((e) => e.id));
    await first.cancel();
    expect(h.bus.listenerCount).toBe(0);

    const missed = [before[3]!, publish(), publish(h.other.project.id), publish(), publish()];
    const second = await stream('/events', { 'X-Api-Key': h.key, 'Last-Event-ID': seen[2]!.id });
    const live = publish();
    const expected = [...missed.filter((e) => e.projectId === h.project.id), live].map((e) => e.id);
    expect((await second.events(expected.length)).map((e) => e.id)).toEqual(expected);
    const next = publish();
    expect((await second.event()).id).toBe(next.id); // nothing twice, nothing extra
    await second.cancel();
  });

  it('takes the id as ?last_event_id= too', async () => {
    const last = publish();
    const missed = publish();
    const reader = await stream(`/events?last_event_id=${encodeURIComponent(last.id)}`);
    expect((await reader.event()).id).toBe(missed.id);
    await reader.cancel();
  });

  it('says reset for an id from another boot', async () => {
    publish();
    const reader = await stream('/events', { 'X-Api-Key': h.key, 'Last-Event-ID': 'zzzz-1' });
    const reset = await reader.event();
    expect(reset.event).toBe('reset');
    expect(reset.data.reason).toMatch(/reload/);
    const live = publish();
    expect((await reader.event()).id).toBe(live.id);
    await reader.cancel();
  });

  it('says reset for an id older than the events kept', async () => {
    const old = publish();
    for (let i = 0; i <= 20_000; i++) publish(h.other.project.id); // 20,000 are kept
    const reader = await stream('/events', { 'X-Api-Key': h.key, 'Last-Event-ID': old.id });
    expect((await reader.event()).event).toBe('reset');
    await reader.cancel();
  });

  it('says reset when more was missed than one connection may queue', async () => {
    const last = publish();
    for (let i = 0; i < 600; i++) publish();
    const reader = await stream('/events', { 'X-Api-Key': h.key, 'Last-Event-ID': last.id });
    expect((await reader.event()).event).toBe('reset');
    await reader.cancel();
  });
});

describe('slow consumers and disconnects', () => {
  /** Publishes until the stream's listener is gone; returns how many it took (or `max`). */
  function publishUntilDropped(max: number, data: Record<string, unknown>): number {
    for (let i = 1; i <= max; i++) {
      publish(h.project.id, data);
      if (h.bus.listenerCount === 0) return i;
    }
    return max;
  }

  it('drops a client that does not read once 1000 events wait for it', async () => {
    const res = await open();
    expect(h.bus.listenerCount).toBe(1);
    expect(publishUntilDropped(5000, {})).toBe(1000);
    expect(await new SseReader(res).frame()).toBeNull(); // the stream ended
  });

  it('drops a client that does not read once 1 MB waits for it', async () => {
    const res = await open();
    const dropped = publishUntilDropped(5000, { body: 'x'.repeat(10_000) });
    expect(dropped).toBeGreaterThan(50);
    expect(dropped).toBeLessThanOrEqual(100);
    expect(await new SseReader(res).frame()).toBeNull();
  });

  it('keeps a client that reads as it goes, however many events pass', async () => {
    const reader = await stream();
    for (let batch = 0; batch < 10; batch++) {
      const sent = Array.from({ length: 500 }, () => publish(h.project.id, { body: 'x'.repeat(1000) }));
      expect((await reader.events(500)).map((e) => e.id)).toEqual(sent.map((e) => e.id));
    }
    expect(h.bus.listenerCount).toBe(1);
    await reader.cancel();
  });

  it('sends a heartbeat comment while nothing happens', async () => {
    const body = eventStream(h.bus, { projectIds: new Set([h.project.id]) }, { heartbeatMs: 5 });
    const reader = new SseReader(new Response(body));
    expect(await reader.frame()).toMatchObject({ retry: 3000 });
    expect(await reader.frame()).toMatchObject({ comments: ['heartbeat'] });
    await reader.cancel();
  });

  it('stops listening when the client disconnects or the request is aborted', async () => {
    const a = await stream();
    const aborted = new AbortController();
    await open('/events', { 'X-Api-Key': h.key }, aborted.signal);
    expect(h.bus.listenerCount).toBe(2);
    await a.cancel();
    expect(h.bus.listenerCount).toBe(1);
    aborted.abort();
    expect(h.bus.listenerCount).toBe(0);
  });

  it('opens no stream for HEAD', async () => {
    const res = await h.app.request('/api/v1/events', { method: 'HEAD', headers: { 'X-Api-Key': h.key } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(h.bus.listenerCount).toBe(0);
  });
});
