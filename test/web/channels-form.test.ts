// The add and edit forms at /channels/new and /channels/:id/edit: fields read off each kind's
// schema, errors next to them, and secrets that never reach the browser in full.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { addChannel, inputValue, RULE, SECRET, SLACK_TOKEN } from './channel-fixtures.ts';

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

describe('adding a channel', () => {
  it('offers every kind, then a form for the chosen one', async () => {
    const chooser = await text(await owner.get('/channels/new'));
    expect(chooser).toContain('/channels/new?kind=webhook');
    expect(chooser).toContain('/channels/new?kind=twilio');
    const form = await text(await owner.get('/channels/new?kind=webhook'));
    expect(form).toContain('name="config.url"');
    expect(form).toMatch(/<select[^>]*name="config.method"/);
    expect(form).toContain('name="config_json"');
    expect(form).toContain('the place for headers');
  });

  it.each([
    ['resend', 'api_key', 'Resend'],
    ['postmark', 'server_token', 'Postmark'],
    ['sendgrid', 'api_key', 'SendGrid'],
    ['mailgun', 'domain', 'Mailgun'],
  ])('offers the %s email channel with its fields and hints', async (kind, field, label) => {
    expect(await text(await owner.get('/channels/new'))).toContain(`/channels/new?kind=${kind}`);
    const form = await text(await owner.get(`/channels/new?kind=${kind}`));
    expect(form).toContain(`${label} settings`);
    for (const name of [field, 'to', 'from', 'from_name', 'subject_prefix', 'api_url'])
      expect(form).toContain(`name="config.${name}"`);
    expect(form).toContain('up to 10 bare addresses, comma-separated');
  });

  it('creates a webhook channel from the form, headers from the JSON box', async () => {
    const res = await owner.post('/channels', {
      kind: 'webhook',
      name: 'ops hook',
      'config.url': `${receiver.url}/hook`,
      'config.secret': SECRET,
      'config.method': 'PUT',
      config_json: '{"headers": {"X-Token": "header-token-value-123"}}',
      ...RULE,
      events: ['down', 'late'],
      tags: 'db, prod',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/channels?done=created');
    const [ch] = await h.store.listChannels(h.project.id);
    expect(ch).toMatchObject({
      kind: 'webhook',
      name: 'ops hook',
      config: {
        url: `${receiver.url}/hook`,
        secret: SECRET,
        method: 'PUT',
        headers: { 'X-Token': 'header-token-value-123' },
      },
      events: ['down', 'late'],
      tags: ['db', 'prod'],
    });
  });

  it('creates a slack channel (Web API) from the form', async () => {
    const res = await owner.post('/channels', {
      kind: 'slack',
      name: 'ops slack',
      'config.token': SLACK_TOKEN,
      'config.channel': '#ops',
      ...RULE,
      min_severity: 'critical',
    });
    expect(res.status).toBe(303);
    const [ch] = await h.store.listChannels(h.project.id);
    expect(ch).toMatchObject({
      kind: 'slack',
      config: { token: SLACK_TOKEN, channel: '#ops', api_url: 'https://slack.com/api' },
      minSeverity: 'critical',
    });
  });

  it('shows a generated webhook secret once, when none was given', async () => {
    const res = await owner.post('/channels', {
      kind: 'webhook',
      name: 'hook',
      'config.url': receiver.url,
      ...RULE,
    });
    expect(res.status).toBe(201);
    const [ch] = await h.store.listChannels(h.project.id);
    expect(ch?.config.secret).toMatch(/^[0-9a-f]{48}$/);
    expect(await res.text()).toContain(String(ch?.config.secret));
    expect(await text(await owner.get('/channels'))).not.toContain(String(ch?.config.secret));
  });

  it("answers 400 with the schema's messages next to the fields, the input kept", async () => {
    const res = await owner.post('/channels', {
      kind: 'slack',
      name: 'my <b>slack</b>',
      'config.webhook_url': 'https://hooks.slack.com/services/T0/B0/XYZ',
      'config.channel': '#ops',
      ...RULE,
      min_severity: 'critical',
      max_severity: 'low',
    });
    expect(res.status).toBe(400);
    const page = await text(res);
    expect(page).toMatch(/id="config.channel-error">needs token/);
    expect(page).toMatch(/id="min_severity-error">min_severity must not be above max_severity/);
    expect(page).toContain('value="my &lt;b&gt;slack&lt;/b&gt;"');
    expect(page).toContain('value="#ops"');
    // the webhook URL carries a token: it is not echoed back
    expect(page).not.toContain('T0/B0/XYZ');
    expect(await h.store.listChannels(h.project.id)).toEqual([]);
  });

  it('says which required field is missing', async () => {
    const res = await owner.post('/channels', {
      kind: 'telegram',
      name: 'tg',
      'config.chat_id': '-100123',
      ...RULE,
    });
    expect(res.status).toBe(400);
    expect(await text(res)).toMatch(/id="config.bot_token-error">is required/);
  });

  it('refuses an unknown field in the JSON box, under the box', async () => {
    const res = await owner.post('/channels', {
      kind: 'discord',
      name: 'd',
      'config.webhook_url': 'https://discord.com/api/webhooks/1/abc',
      config_json: '{"colour": "red"}',
      ...RULE,
    });
    expect(res.status).toBe(400);
    expect(await text(res)).toMatch(/id="config_json-error">[^<]*unknown field &quot;colour&quot;/);
  });
});

describe('editing a channel', () => {
  async function slackChannel() {
    return addChannel(h, {
      kind: 'slack',
      name: 'ops slack',
      config: { token: SLACK_TOKEN, channel: '#ops' },
    });
  }

  it('never puts a stored secret in the list or the form', async () => {
    const hookId = await addChannel(h, {
      kind: 'webhook',
      config: {
        url: `${receiver.url}/hooks/url-token-abcdef`,
        secret: SECRET,
        headers: { 'X-Token': 'header-token-value-123' },
      },
    });
    const slackId = await slackChannel();
    for (const path of ['/channels', `/channels/${hookId}/edit`, `/channels/${slackId}/edit`]) {
      const page = await text(await owner.get(path));
      for (const secret of [SECRET, SLACK_TOKEN, 'url-token-abcdef', 'header-token-value-123']) {
        expect(page, path).not.toContain(secret);
      }
    }
    const form = await text(await owner.get(`/channels/${hookId}/edit`));
    expect(form).toContain('••••9a7e');
  });

  it('keeps the stored secret when the masked value comes back', async () => {
    const id = await slackChannel();
    const form = await text(await owner.get(`/channels/${id}/edit`));
    const masked = inputValue(form, 'config.token');
    expect(masked).toBe('••••mnop');
    const res = await owner.post(`/channels/${id}`, {
      name: 'renamed',
      'config.token': masked!,
      'config.channel': '#alerts',
      ...RULE,
    });
    expect(res.status).toBe(303);
    expect(await h.store.getChannel(id)).toMatchObject({
      name: 'renamed',
      config: { token: SLACK_TOKEN, channel: '#alerts' },
    });
  });

  it('saves a webhook form sent back as shown without changing its URL, secret or headers', async () => {
    const config = {
      url: `${receiver.url}/hooks/url-token-abcdef`,
      secret: SECRET,
      method: 'POST',
      headers: { Authorization: 'Bearer header-token-value-123' },
    };
    const id = await addChannel(h, { kind: 'webhook', config });
    const form = await text(await owner.get(`/channels/${id}/edit`));
    const json = /<textarea[^>]*name="config_json"[^>]*>([^<]*)<\/textarea>/.exec(form)?.[1] ?? '';
    const unescaped = json.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    expect(JSON.parse(unescaped)).toEqual({ headers: { Authorization: '••••-123' } });
    const res = await owner.post(`/channels/${id}`, {
      name: 'ops hook',
      'config.url': inputValue(form, 'config.url')!,
      'config.secret': inputValue(form, 'config.secret')!,
      'config.method': 'POST',
      config_json: unescaped,
      ...RULE,
    });
    expect(res.status).toBe(303);
    expect((await h.store.getChannel(id))?.config).toEqual(config);
  });

  it('removes an optional secret left empty', async () => {
    const id = await addChannel(h, { kind: 'webhook', config: { url: receiver.url, secret: SECRET } });
    const res = await owner.post(`/channels/${id}`, {
      name: 'hook',
      'config.url': receiver.url,
      'config.secret': '',
      ...RULE,
    });
    expect(res.status).toBe(303);
    expect((await h.store.getChannel(id))?.config.secret).toBeUndefined();
  });

  it('does not echo a new secret back when the form has errors', async () => {
    const id = await slackChannel();
    const res = await owner.post(`/channels/${id}`, {
      name: '',
      'config.token': 'xoxb-brand-new-token-value',
      'config.channel': '#ops',
      ...RULE,
    });
    expect(res.status).toBe(400);
    const page = await text(res);
    expect(page).not.toContain('xoxb-brand-new-token-value');
    expect(page).toMatch(/id="config.token-error">enter it again/);
    expect((await h.store.getChannel(id))?.config.token).toBe(SLACK_TOKEN);
  });

  it("answers 404 for another project's channel", async () => {
    const id = await addChannel(h, {
      kind: 'webhook',
      projectId: h.other.project.id,
      config: { url: receiver.url },
    });
    expect((await owner.get(`/channels/${id}/edit`)).status).toBe(404);
    expect((await owner.post(`/channels/${id}`, { name: 'x', ...RULE })).status).toBe(404);
    expect((await owner.post(`/channels/${id}/test`)).status).toBe(404);
    expect((await owner.post(`/channels/${id}/delete`)).status).toBe(404);
    expect(await h.store.getChannel(id)).not.toBeNull();
  });
});
