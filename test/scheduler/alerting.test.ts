// Noise control end to end inside one process: reminders on a controllable clock, alerts held
// by maintenance windows and what becomes of them, recoveries only after a sent down alert,
// and late warnings only where asked for. The real app, store and scheduler; nothing mocked.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../src/notifiers/notifier.ts';
import type { FlipRow, Notification } from '../../src/store/store.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { createCheck, createWebhook, HOUR, MINUTE, SECOND } from './fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

// Nothing listens there: alerts are only queued in these tests, never delivered.
const URL = 'http://127.0.0.1:9/hook';

async function pingAs(id: string, kind: '' | '/fail' = ''): Promise<void> {
  expect((await h.app.request(`/ping/${id}${kind}`, { method: 'POST' })).status).toBe(200);
}

/** Moves the clock and runs what the scheduler loop would run at that time. */
async function advance(ms: number): Promise<void> {
  h.clock.advance(ms);
  const now = h.clock.now();
  await h.scheduler.sweep(now);
  await h.scheduler.runTimers(now);
}

async function notifications(checkId: string): Promise<Notification[]> {
  return (await h.store.listNotifications(checkId, 100)).reverse();
}

async function flips(checkId: string): Promise<FlipRow[]> {
  return (await h.store.listFlips(checkId, { limit: 50 })).reverse();
}

const payloadOf = (n: Notification) => JSON.parse(n.payload) as AlertPayload;

/** A check (60 s, grace 30 s) that has pinged once and is up. */
async function upCheck(body: Record<string, unknown> = {}): Promise<string> {
  const id = await createCheck(h, body);
  await pingAs(id);
  return id;
}

/** From up, past the deadline and the grace: down by missed pings. */
const missPings = () => advance(90 * SECOND);

describe('reminders', () => {
  it('re-alert every realert_every while the check stays down, and stop when it recovers', async () => {
    await createWebhook(h, URL, { events: ['down', 'up'] });
    const id = await upCheck({ realert_every: 7200 });
    await missPings();
    expect((await notifications(id)).map((n) => [n.event, n.seq])).toEqual([['down', 0]]);

    await advance(2 * HOUR - SECOND);
    expect(await notifications(id)).toHaveLength(1);
    await advance(SECOND);
    await advance(2 * HOUR);
    const sent = await notifications(id);
    expect(sent.map((n) => [n.event, n.seq])).toEqual([
      ['down', 0],
      ['down', 1],
      ['down', 2],
    ]);
    // a reminder is about the same down period: the same flip, numbered
    expect(new Set(sent.map((n) => n.flipId)).size).toBe(1);
    expect(payloadOf(sent[2]!).reminder).toBe(2);
    expect(payloadOf(sent[0]!).reminder).toBeUndefined();

    await pingAs(id);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['down', 'down', 'down', 'up']);
    expect((await h.store.getCheck(id))!.remindAt).toBeNull();
    await advance(59 * SECOND); // up until its next deadline: nothing more
    expect(await notifications(id)).toHaveLength(4);
  });

  it('never come more often than the project silence period (default 1 hour)', async () => {
    await createWebhook(h, URL, { events: ['down'] });
    const id = await upCheck({ realert_every: 600 });
    await missPings();
    await advance(59 * MINUTE);
    expect(await notifications(id)).toHaveLength(1);
    await advance(MINUTE);
    expect(await notifications(id)).toHaveLength(2);

    // a shorter silence period lets the check's own interval through from the next reminder on
    expect((await h.api('PATCH', '/project', { silence_period: 600 })).status).toBe(200);
    await advance(HOUR);
    await advance(10 * MINUTE);
    expect(await notifications(id)).toHaveLength(4);
  });

  it('are off by default', async () => {
    await createWebhook(h, URL, { events: ['down'] });
    const id = await upCheck();
    await missPings();
    await advance(48 * HOUR);
    expect(await notifications(id)).toHaveLength(1);
  });

  it('start when turned on for a check that is already down', async () => {
    await createWebhook(h, URL, { events: ['down'] });
    const id = await upCheck();
    await missPings();
    expect((await h.api('PATCH', `/checks/${id}`, { realert_every: 3600 })).status).toBe(200);
    await advance(HOUR);
    expect((await notifications(id)).map((n) => n.seq)).toEqual([0, 1]);
    expect((await h.api('PATCH', `/checks/${id}`, { realert_every: null })).status).toBe(200);
    await advance(5 * HOUR);
    expect(await notifications(id)).toHaveLength(2);
  });

  it('wait for the end of a maintenance window, then go out', async () => {
    await createWebhook(h, URL, { events: ['down'] });
    const id = await upCheck({ realert_every: 3600 });
    await missPings();
    await advance(30 * MINUTE);
    expect((await h.api('POST', '/maintenance/now?duration=3600')).status).toBe(201);
    await advance(30 * MINUTE); // the reminder falls due inside the window
    expect(await notifications(id)).toHaveLength(1);
    await advance(30 * MINUTE); // the window ends
    expect((await notifications(id)).map((n) => n.seq)).toEqual([0, 1]);
  });
});

describe('maintenance windows', () => {
  it('hold alerts, and send nothing for a check that recovers during the window', async () => {
    await createWebhook(h, URL, { events: ['down', 'up', 'late'] });
    const id = await upCheck({ schedule: { kind: 'interval', period: 300, grace: 60 } });
    expect((await h.api('POST', '/maintenance/now?duration=600')).status).toBe(201);
    await advance(5 * MINUTE); // late
    await advance(MINUTE); // down
    expect((await h.store.getCheck(id))!.status).toBe('down'); // still evaluated and shown
    await pingAs(id); // recovers inside the window
    await advance(4 * MINUTE + 10 * SECOND); // past the window's end, not yet late again

    expect(await notifications(id)).toEqual([]);
    const history = await flips(id);
    expect(history.map((f) => [f.to, f.event, f.alert])).toEqual([
      ['up', null, null], // first ping
      ['late', 'late', 'dropped'],
      ['down', 'down', 'dropped'],
      ['up', 'up', 'suppressed'],
    ]);
    expect(history[2]!.alertNote).toBe('the check recovered before the alert was released');
    expect(history[3]!.alertNote).toBe('no down alert was sent for this outage');
    expect(history.every((f) => f.releaseAt === null)).toBe(true);
  });

  it('give a check that is still down a fresh grace after the window, then alert', async () => {
    await createWebhook(h, URL, { events: ['down', 'up'] });
    const id = await upCheck();
    const res = await h.api('POST', '/maintenance/now?duration=600');
    const window = (await res.json()) as { ends_at: string };
    await missPings();
    const [, down] = await flips(id);
    expect(down).toMatchObject({ alert: 'held', releaseAt: Date.parse(window.ends_at) });
    expect(down!.alertNote).toContain('held by maintenance window "quiet for 10 minutes"');

    await advance(Date.parse(window.ends_at) - h.clock.now()); // the window ends
    expect((await flips(id))[1]).toMatchObject({ alert: 'grace', releaseAt: h.clock.now() + 30 * SECOND });
    expect(await notifications(id)).toEqual([]);
    await advance(29 * SECOND);
    expect(await notifications(id)).toEqual([]);
    await advance(SECOND);
    expect((await flips(id))[1]).toMatchObject({ alert: 'released', releaseAt: null });
    const [alert] = await notifications(id);
    expect(alert).toMatchObject({ event: 'down', flipId: down!.id, seq: 0 });

    // the recovery follows, since the down alert went out
    await pingAs(id);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['down', 'up']);
  });

  it('drop the held alert when the check pings during the fresh grace', async () => {
    await createWebhook(h, URL, { events: ['down', 'up'] });
    const id = await upCheck();
    await h.api('POST', '/maintenance/now?duration=600');
    await missPings();
    await advance(10 * MINUTE);
    await advance(10 * SECOND);
    await pingAs(id);
    await advance(30 * SECOND);
    expect(await notifications(id)).toEqual([]);
    expect((await flips(id)).map((f) => f.alert)).toEqual([null, 'dropped', 'suppressed']);
  });

  it('send a failed run at the end of the window without a fresh grace', async () => {
    await createWebhook(h, URL, { events: ['failed', 'up'] });
    const id = await upCheck();
    await h.api('POST', '/maintenance/now?duration=600');
    await pingAs(id, '/fail');
    await advance(10 * MINUTE);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['failed']);
  });

  it('hold the recovery of a check whose down alert went out before the window, and send it after', async () => {
    await createWebhook(h, URL, { events: ['down', 'up'] });
    const id = await upCheck({ schedule: { kind: 'interval', period: 3600, grace: 60 } });
    await advance(HOUR + MINUTE);
    await h.api('POST', '/maintenance/now?duration=600');
    await advance(5 * MINUTE);
    await pingAs(id);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['down']);
    expect((await flips(id)).at(-1)).toMatchObject({ to: 'up', alert: 'held' });
    await advance(5 * MINUTE);
    const sent = await notifications(id);
    expect(sent.map((n) => n.event)).toEqual(['down', 'up']);
    expect((await flips(id)).at(-1)).toMatchObject({ to: 'up', alert: 'released' });
    // how long it was down: from the down flip to the recovery, not to the release
    expect(payloadOf(sent[1]!).downtime_ms).toBe(5 * MINUTE);
  });

  it('cover only the checks they name or tag', async () => {
    await createWebhook(h, URL, { events: ['failed'] });
    const tagged = await upCheck({ tags: ['db'] });
    const named = await upCheck();
    const other = await upCheck();
    await h.api('POST', '/maintenance/now?duration=600', { tags: ['db'], checks: [named] });
    for (const id of [tagged, named, other]) await pingAs(id, '/fail');
    expect(await notifications(tagged)).toEqual([]);
    expect(await notifications(named)).toEqual([]);
    expect(await notifications(other)).toHaveLength(1);
  });

  it('release held alerts at once when the window is deleted', async () => {
    await createWebhook(h, URL, { events: ['failed'] });
    const id = await upCheck();
    const { id: windowId } = (await (await h.api('POST', '/maintenance/now?duration=3600')).json()) as {
      id: string;
    };
    await pingAs(id, '/fail');
    expect((await h.api('DELETE', `/maintenance/${windowId}`)).status).toBe(204);
    await advance(0);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['failed']);
  });
});

describe('routing through the outbox', () => {
  it('sends late warnings only to channels that ask for them', async () => {
    const plain = await createWebhook(h, URL, { events: ['down', 'up'] });
    const wantsLate = await createWebhook(h, URL, { events: ['late'] });
    const id = await upCheck();
    await advance(60 * SECOND);
    expect((await h.store.getCheck(id))!.status).toBe('late');
    const queued = await notifications(id);
    expect(queued.map((n) => [n.event, n.channelId])).toEqual([['late', wantsLate]]);
    expect(queued.some((n) => n.channelId === plain)).toBe(false);
  });

  it('tells a failed run and a run that took too long apart from missed pings', async () => {
    await createWebhook(h, URL, { events: ['down', 'failed', 'too_long', 'up'] });
    const failed = await upCheck();
    await pingAs(failed, '/fail');
    const slow = await upCheck({ max_runtime: 60 });
    expect((await h.app.request(`/ping/${slow}/start`, { method: 'POST' })).status).toBe(200);
    await advance(60 * SECOND);
    expect((await notifications(failed)).map((n) => n.event)).toEqual(['failed']);
    expect((await notifications(slow)).map((n) => n.event)).toEqual(['too_long']);
  });

  it('sends no recovery for an outage nobody was told about', async () => {
    // only a recoveries channel: the down alert reached no one, but "would have been" sent
    await createWebhook(h, URL, { events: ['up'] });
    const id = await upCheck();
    await missPings();
    await pingAs(id);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['up']);
    expect((await flips(id)).map((f) => f.alert)).toEqual([null, 'queued', 'queued']);
  });
});
