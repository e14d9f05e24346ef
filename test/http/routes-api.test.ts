// GET /api/v1/checks/:id/routes: which channels each kind of alert about a check would reach
// right now, and why. Built on the routing example of the docs: a pager for critical checks,
// a chat room for everything else, and a room for recoveries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { type CheckView, createCheck, expectApiError, iso, json } from './api-helpers.ts';

type EventKind = 'down' | 'failed' | 'too_long' | 'late' | 'up';

interface ChannelRef {
  id: string;
  name: string;
  kind: string;
  broken: boolean;
}

interface RoutesView {
  check: { id: string; name: string; severity: string; tags: string[]; channels: string[] };
  held: { maintenance_id: string; name: string; until: string } | null;
  routes: Record<EventKind, ChannelRef[]>;
  channels: (ChannelRef & {
    broken_reason: string | null;
    events: Record<EventKind, { routed: boolean; why: string }>;
  })[];
  notes: string[];
}

const DOWN_EVENTS = ['down', 'failed', 'too_long'] as const;

let h: Harness;
let receiver: Receiver;
/** channel name -> id */
let channel: Record<string, string>;
let critical: CheckView;
let important: CheckView;
let low: CheckView;

beforeEach(async () => {
  h = await createHarness();
  receiver = await startReceiver();
  channel = {};
  const rules: [string, Record<string, unknown>][] = [
    ['telegram', { events: [...DOWN_EVENTS], min_severity: 'critical' }],
    ['pagerduty', { events: [...DOWN_EVENTS, 'up'], min_severity: 'critical' }],
    ['discord', { events: [...DOWN_EVENTS], max_severity: 'important' }],
    ['slack-recoveries', { events: ['up'] }],
  ];
  for (const [name, rule] of rules) {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name,
      config: { url: `${receiver.url}/${name}` },
      ...rule,
    });
    expect(res.status).toBe(201);
    channel[name] = (await json<{ id: string }>(res)).id;
  }
  critical = await createCheck(h, { name: 'payments', severity: 'critical' });
  important = await createCheck(h, { name: 'backups', severity: 'important' });
  low = await createCheck(h, { name: 'cache warm-up', severity: 'low', tags: ['cache'] });
});
afterEach(async () => {
  await receiver.close();
  await h.close();
});

async function routesOf(check: { id: string }, key?: string): Promise<RoutesView> {
  const res = await h.api('GET', `/checks/${check.id}/routes`, undefined, key);
  expect(res.status).toBe(200);
  return json<RoutesView>(res);
}

/** The channel names an event goes to, sorted: channels created in one millisecond have no set order. */
const names = (refs: ChannelRef[]) => refs.map((r) => r.name).sort();

function decision(view: RoutesView, name: string, event: EventKind) {
  const found = view.channels.find((c) => c.name === name);
  expect(found, `channel ${name}`).toBeDefined();
  return found!.events[event];
}

describe('GET /checks/:id/routes', () => {
  it('sends the down alerts of a critical check to telegram and pagerduty', async () => {
    const view = await routesOf(critical);
    for (const event of DOWN_EVENTS) expect(names(view.routes[event])).toEqual(['pagerduty', 'telegram']);
  });

  it('sends the down alerts of an important check to discord only', async () => {
    const view = await routesOf(important);
    for (const event of DOWN_EVENTS) expect(names(view.routes[event])).toEqual(['discord']);
  });

  it('sends the down alerts of a low check to discord, the "everything else" channel', async () => {
    const view = await routesOf(low);
    expect(names(view.routes.down)).toEqual(['discord']);
  });

  it('sends the recovery of a critical check to pagerduty and slack-recoveries', async () => {
    expect(names((await routesOf(critical)).routes.up)).toEqual(['pagerduty', 'slack-recoveries']);
  });

  it('sends the recovery of an important check to slack-recoveries only', async () => {
    expect(names((await routesOf(important)).routes.up)).toEqual(['slack-recoveries']);
  });

  it('sends late warnings nowhere, since no channel lists "late"', async () => {
    for (const check of [critical, important, low]) expect((await routesOf(check)).routes.late).toEqual([]);
  });

  it('answers every channel as a reference with its id, name, kind and whether it is broken', async () => {
    const view = await routesOf(critical);
    expect(view.routes.down).toContainEqual({
      id: channel.telegram,
      name: 'telegram',
      kind: 'webhook',
      broken: false,
    });
  });

  it('describes the check it answers for', async () => {
    expect((await routesOf(low)).check).toEqual({
      id: low.id,
      name: 'cache warm-up',
      severity: 'low',
      tags: ['cache'],
      channels: [],
    });
  });

  it('says why a channel takes an alert', async () => {
    const view = await routesOf(critical);
    expect(decision(view, 'telegram', 'down')).toEqual({
      routed: true,
      why: 'takes down alerts of severity critical',
    });
    expect(decision(view, 'slack-recoveries', 'up')).toEqual({
      routed: true,
      why: 'takes up alerts of severity low and above',
    });
  });

  it('says why a channel does not take an alert: the severity', async () => {
    expect(decision(await routesOf(important), 'telegram', 'down')).toEqual({
      routed: false,
      why: 'takes severity critical; the check is important',
    });
    expect(decision(await routesOf(critical), 'discord', 'down')).toEqual({
      routed: false,
      why: 'takes severity important and below; the check is critical',
    });
  });

  it('says why a channel does not take an alert: the event', async () => {
    const view = await routesOf(critical);
    expect(decision(view, 'telegram', 'up')).toEqual({
      routed: false,
      why: 'does not take up alerts (takes: down, failed, too_long)',
    });
    expect(decision(view, 'pagerduty', 'late')).toEqual({
      routed: false,
      why: 'does not take late alerts (takes: down, failed, too_long, up)',
    });
  });

  it('lists every channel of the project with a decision for every event', async () => {
    const view = await routesOf(important);
    expect(view.channels.map((c) => c.name).sort()).toEqual([
      'discord',
      'pagerduty',
      'slack-recoveries',
      'telegram',
    ]);
    for (const c of view.channels) {
      expect(Object.keys(c.events).sort()).toEqual(['down', 'failed', 'late', 'too_long', 'up']);
    }
  });

  it('does not show another project’s channels', async () => {
    const res = await h.api(
      'POST',
      '/channels',
      { kind: 'webhook', name: 'theirs', config: { url: receiver.url } },
      h.other.key,
    );
    expect(res.status).toBe(201);
    const view = await routesOf(important);
    expect(view.channels.map((c) => c.name)).not.toContain('theirs');
    expect(names(view.routes.down)).toEqual(['discord']);
  });

  it('lets a read-only key read', async () => {
    expect(names((await routesOf(critical, h.readOnlyKey)).routes.down)).toEqual(['pagerduty', 'telegram']);
  });

  it('answers 404 for another project’s check', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'x' }, h.other.key));
    await expectApiError(await h.api('GET', `/checks/${theirs.id}/routes`), 404, /check not found/);
  });

  it('answers 405 with Allow to POST', async () => {
    const res = await h.api('POST', `/checks/${critical.id}/routes`);
    await expectApiError(res, 405, /not allowed here/);
    expect(res.headers.get('allow')).toBe('GET');
  });
});

describe('channels a check names', () => {
  it('get its alerts whatever their severity limits', async () => {
    const res = await h.api('PATCH', `/checks/${low.id}`, { channels: [channel.telegram] });
    expect(res.status).toBe(200);
    const view = await routesOf(low);
    expect(view.check.channels).toEqual([channel.telegram]);
    expect(names(view.routes.down)).toEqual(['discord', 'telegram']);
    expect(decision(view, 'telegram', 'down')).toEqual({
      routed: true,
      why: 'named by the check; takes down alerts',
    });
  });

  it('still get only the events they take', async () => {
    await h.api('PATCH', `/checks/${low.id}`, { channels: [channel.telegram] });
    const view = await routesOf(low);
    expect(names(view.routes.up)).toEqual(['slack-recoveries']);
    expect(decision(view, 'telegram', 'up').routed).toBe(false);
  });

  it('answers 400 for a channel id the project does not have, and keeps the old list', async () => {
    const res = await h.api('PATCH', `/checks/${low.id}`, { channels: ['no-such-channel'] });
    await expectApiError(res, 400, /^channels: no channel with id "no-such-channel" in this project/);
    expect((await routesOf(low)).check.channels).toEqual([]);
  });

  it('answers 400 for a channel named twice', async () => {
    const res = await h.api('PATCH', `/checks/${low.id}`, { channels: [channel.discord, channel.discord] });
    await expectApiError(res, 400, /^channels: list each channel once/);
  });

  it('answers 400 for another project’s channel', async () => {
    const created = await h.api(
      'POST',
      '/channels',
      { kind: 'webhook', name: 'theirs', config: { url: receiver.url } },
      h.other.key,
    );
    const theirs = await json<{ id: string }>(created);
    const res = await h.api('PATCH', `/checks/${low.id}`, { channels: [theirs.id] });
    await expectApiError(res, 400, /^channels: no channel with id/);
  });
});

describe('held', () => {
  it('names the maintenance window holding the check’s alerts while it runs', async () => {
    const created = await h.api('POST', '/maintenance/now?duration=600');
    expect(created.status).toBe(201);
    const window = await json<{ id: string }>(created);
    const view = await routesOf(critical);
    const until = iso(T0 + 600_000);
    expect(view.held).toEqual({ maintenance_id: window.id, name: 'quiet for 10 minutes', until });
    expect(view.notes[0]).toBe(`alerts are held by maintenance window "quiet for 10 minutes" until ${until}`);
    // the rules still say where the alerts go once released
    expect(names(view.routes.down)).toEqual(['pagerduty', 'telegram']);
  });

  it('is null once the window is over', async () => {
    await h.api('POST', '/maintenance/now?duration=600');
    h.clock.advance(600_000);
    const view = await routesOf(critical);
    expect(view.held).toBeNull();
    expect(view.notes.join('\n')).not.toMatch(/held by maintenance/);
  });

  it('is null for a window scoped to a tag the check lacks, and set for a check with the tag', async () => {
    const res = await h.api('POST', '/maintenance/now?duration=600', { tags: ['cache'] });
    expect(res.status).toBe(201);
    expect((await routesOf(critical)).held).toBeNull();
    expect((await routesOf(low)).held).toMatchObject({ name: 'quiet for 10 minutes' });
  });

  it('is null for a window that has not started yet', async () => {
    const res = await h.api('POST', '/maintenance', {
      name: 'later',
      starts_at: iso(T0 + 3_600_000),
      ends_at: iso(T0 + 7_200_000),
    });
    expect(res.status).toBe(201);
    expect((await routesOf(critical)).held).toBeNull();
  });
});

describe('broken channels', () => {
  beforeEach(async () => {
    const telegram = await h.store.getChannel(channel.telegram!);
    await h.store.updateChannel({ ...telegram!, brokenReason: '401 Unauthorized: bad token', brokenAt: T0 });
  });

  it('still appear in the routes, marked broken', async () => {
    const view = await routesOf(critical);
    expect(view.routes.down).toContainEqual({
      id: channel.telegram,
      name: 'telegram',
      kind: 'webhook',
      broken: true,
    });
    expect(view.channels.find((c) => c.name === 'telegram')).toMatchObject({
      broken: true,
      broken_reason: '401 Unauthorized: bad token',
    });
  });

  it('are named in the notes', async () => {
    const view = await routesOf(critical);
    const note = view.notes.find((n) => n.startsWith('broken channels'));
    expect(note).toMatch(/: telegram$/);
  });
});

describe('channel rules', () => {
  it('answers 400 at min_severity for a minimum above the maximum', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'upside down',
      config: { url: receiver.url },
      min_severity: 'critical',
      max_severity: 'low',
    });
    await expectApiError(res, 400, /^min_severity: .*must not be above max_severity/);
  });

  it('answers 400 at events for an event listed twice', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'twice',
      config: { url: receiver.url },
      events: ['down', 'up', 'down'],
    });
    await expectApiError(res, 400, /^events: list each event once/);
  });
});
