// The channel pages at /channels: the list with each rule in words and the broken state, the
// guards on every change, test alerts sent to a real HTTP receiver on loopback, and deleting.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { addChannel, RULE, SLACK_TOKEN } from './channel-fixtures.ts';

const text = (res: Response) => res.text();

let h: Harness;
let receiver: Receiver;
let owner: Browser;
beforeEach(async () => {
  h = await createHarness();
  receiver = await startReceiver();
  owner = await signIn(h);
});
afterEach(async () => {
  await receiver.close();
  await h.close();
});

describe('GET /channels', () => {
  it('sends a visitor without a session to sign in', async () => {
    const res = await h.app.request('/channels');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fchannels');
  });

  it("lists the project's channels with their rule in words", async () => {
    await addChannel(h, {
      kind: 'webhook',
      name: 'db pager',
      config: { url: `${receiver.url}/hook` },
      events: ['down', 'up'],
      minSeverity: 'important',
      tags: ['db', 'prod'],
    });
    await addChannel(h, {
      kind: 'webhook',
      name: 'theirs',
      projectId: h.other.project.id,
      config: { url: receiver.url },
    });
    const page = await text(await owner.get('/channels'));
    expect(page).toContain('db pager');
    expect(page).toContain('Takes: down, up');
    expect(page).toContain('Checks: important and above, tagged db or prod');
    expect(page).not.toContain('theirs');
  });

  it('escapes a channel name', async () => {
    await addChannel(h, {
      kind: 'webhook',
      name: '<script>alert(1)</script>',
      config: { url: receiver.url },
    });
    const page = await text(await owner.get('/channels'));
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it("shows a broken channel with the provider's message", async () => {
    await addChannel(h, {
      kind: 'slack',
      name: 'ops slack',
      config: { token: SLACK_TOKEN, channel: 'C0123ABCD', api_url: receiver.url },
      brokenReason: 'Slack: invalid_auth: the token is not valid; paste the bot token again',
      brokenAt: T0,
    });
    const page = await text(await owner.get('/channels'));
    expect(page).toMatch(/role="alert" class="channel-broken"/);
    expect(page).toContain('Slack: invalid_auth: the token is not valid; paste the bot token again');
  });

  it('shows a read-only member no buttons', async () => {
    await addChannel(h, { kind: 'webhook', config: { url: receiver.url } });
    const reader = await signIn(h, { role: 'read-only' });
    const page = await text(await reader.get('/channels'));
    expect(page).toContain('ops hook');
    expect(page).not.toContain('Add channel');
    expect(page).not.toContain('Send a test alert');
    expect(page).not.toContain('/edit');
    expect(page).not.toContain('/delete');
  });
});

describe('guards on changes', () => {
  it('refuses a POST without the CSRF token (403)', async () => {
    const id = await addChannel(h, { kind: 'webhook', config: { url: receiver.url } });
    const res = await owner.post(`/channels/${id}/delete`, {}, { csrf: null });
    expect(res.status).toBe(403);
    expect(await h.store.getChannel(id)).not.toBeNull();
  });

  it('refuses every change by a read-only member (403)', async () => {
    const id = await addChannel(h, { kind: 'webhook', config: { url: receiver.url } });
    const reader = await signIn(h, { role: 'read-only' });
    const posts: [string, Record<string, string | string[]>][] = [
      ['/channels', { kind: 'webhook', name: 'x', 'config.url': receiver.url, ...RULE }],
      [`/channels/${id}`, { name: 'x', 'config.url': receiver.url, ...RULE }],
      [`/channels/${id}/test`, {}],
      [`/channels/${id}/delete`, {}],
    ];
    for (const [path, fields] of posts) expect((await reader.post(path, fields)).status, path).toBe(403);
    expect((await reader.get(`/channels/${id}/edit`)).status).toBe(403);
    expect(receiver.requests).toHaveLength(0);
    expect(await h.store.listChannels(h.project.id)).toHaveLength(1);
  });
});

describe('test alerts and deleting', () => {
  it('reports a delivered test alert, as a fragment for htmx', async () => {
    const id = await addChannel(h, { kind: 'webhook', config: { url: `${receiver.url}/hook` } });
    const res = await owner.post(`/channels/${id}/test`, {}, { htmx: true });
    expect(res.status).toBe(200);
    const fragment = await text(res);
    expect(fragment).not.toContain('<html');
    expect(fragment).toContain('Test alert delivered');
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body.toString())).toMatchObject({ test: true, event: 'down' });
  });

  it("shows the provider's message for a refused test alert, on a page without JavaScript", async () => {
    await receiver.close();
    receiver = await startReceiver((_req, res) => {
      res.statusCode = 401;
      res.end('bad token: rotate it');
    });
    const id = await addChannel(h, { kind: 'webhook', config: { url: `${receiver.url}/hook` } });
    const res = await owner.post(`/channels/${id}/test`);
    expect(res.status).toBe(200);
    const page = await text(res);
    expect(page).toContain('<!doctype html>');
    expect(page).toContain('The test alert failed');
    expect(page).toMatch(/401/);
    expect(page).toContain('bad token: rotate it');
    // a failed test does not mark the channel broken
    expect((await h.store.getChannel(id))?.brokenReason).toBeNull();
  });

  it('clears the broken state when a test gets through', async () => {
    const id = await addChannel(h, {
      kind: 'webhook',
      config: { url: receiver.url },
      brokenReason: 'HTTP 401',
      brokenAt: T0,
    });
    const page = await text(await owner.post(`/channels/${id}/test`, {}, { htmx: true }));
    expect(page).toContain('no longer marked broken');
    expect((await h.store.getChannel(id))?.brokenReason).toBeNull();
  });

  it('deletes after a confirmation page', async () => {
    const id = await addChannel(h, { kind: 'webhook', config: { url: receiver.url } });
    const confirm = await text(await owner.get(`/channels/${id}/delete`));
    expect(confirm).toContain(`action="/channels/${id}/delete"`);
    const res = await owner.post(`/channels/${id}/delete`);
    expect(res.status).toBe(303);
    expect(await h.store.getChannel(id)).toBeNull();
  });
});
