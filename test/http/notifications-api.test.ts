// GET /api/v1/checks/:id/notifications: the outbox as seen from one check.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { expectApiError, json } from './api-helpers.ts';

interface NotificationView {
  event: string;
  status: string;
  last_error: string | null;
  attempts: { outcome: string; error: string | null }[];
}

let h: Harness;
let receiver: Receiver;
let answer = 503;
beforeEach(async () => {
  h = await createHarness();
  answer = 503;
  receiver = await startReceiver((_req, res) => {
    res.statusCode = answer;
    res.end('busy');
  });
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

async function failingCheck(): Promise<string> {
  await h.api('POST', '/channels', { kind: 'webhook', name: 'hook', config: { url: receiver.url } });
  const res = await h.api('POST', '/checks', { name: 'job', schedule: { kind: 'none' } });
  const { id } = await json<{ id: string }>(res);
  expect((await h.app.request(`/ping/${id}/fail`)).status).toBe(200);
  return id;
}

describe('GET /checks/:id/notifications', () => {
  it('shows a queued alert with each attempt and its error, then its delivery', async () => {
    const id = await failingCheck();
    await h.dispatcher.runOnce(h.clock.now());
    let [n] = (
      await json<{ notifications: NotificationView[] }>(await h.api('GET', `/checks/${id}/notifications`))
    ).notifications;
    expect(n).toMatchObject({ event: 'failed', status: 'pending' });
    expect(n!.attempts).toHaveLength(1);
    expect(n!.attempts[0]).toMatchObject({ outcome: 'retry' });
    expect(n!.attempts[0]!.error).toContain('503');

    answer = 200;
    h.clock.advance(60 * 60 * 1000);
    await h.dispatcher.runOnce(h.clock.now());
    [n] = (
      await json<{ notifications: NotificationView[] }>(await h.api('GET', `/checks/${id}/notifications`))
    ).notifications;
    expect(n).toMatchObject({ status: 'delivered', last_error: null });
    expect(n!.attempts.map((a) => a.outcome)).toEqual(['retry', 'delivered']);
  });

  it('is readable with a read-only key and hidden from another project', async () => {
    const id = await failingCheck();
    expect((await h.api('GET', `/checks/${id}/notifications`, undefined, h.readOnlyKey)).status).toBe(200);
    await expectApiError(await h.api('GET', `/checks/${id}/notifications`, undefined, h.other.key), 404);
  });
});
