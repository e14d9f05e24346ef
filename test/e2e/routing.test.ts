// Routing end to end: a real vigil process, three checks of different severities, and four
// real channel kinds pointed at loopback servers that answer as the providers do. Each channel
// must receive exactly the alerts its rule says, once: critical checks to Telegram and
// PagerDuty, everything else to Discord, recoveries to a separate Slack channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceivedRequest, type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { apiClient, startVigil, tempDir, type VigilProcess } from './server-process.ts';

const PERIOD_S = 2;
const GRACE_S = 1;
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

/** Answers each provider's path the way the provider does on success. */
function providerAnswer(req: ReceivedRequest): { status: number; body: string } {
  if (req.url.includes('/sendMessage')) return { status: 200, body: '{"ok":true,"result":{"message_id":1}}' };
  if (req.url.startsWith('/v2/enqueue')) {
    const { dedup_key } = JSON.parse(req.body.toString()) as { dedup_key: string };
    return {
      status: 202,
      body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key }),
    };
  }
  if (req.url.startsWith('/api/webhooks/')) return { status: 204, body: '' };
  return { status: 200, body: 'ok' }; // Slack incoming webhook
}

type Channel = 'telegram' | 'pagerduty' | 'discord' | 'slack';
const channelOf = (r: ReceivedRequest): Channel =>
  r.url.includes('/sendMessage')
    ? 'telegram'
    : r.url.startsWith('/v2/enqueue')
      ? 'pagerduty'
      : r.url.startsWith('/api/webhooks/')
        ? 'discord'
        : 'slack';

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('routing by severity, end to end', () => {
  const tmp = tempDir();
  let vigil: VigilProcess | undefined;
  let provider: Receiver | undefined;

  beforeAll(async () => {
    provider = await startReceiver((req, res) => {
      const { status, body } = providerAnswer(req);
      res.writeHead(status, body.startsWith('{') ? { 'Content-Type': 'application/json' } : {}).end(body);
    });
    vigil = await startVigil({ dbPath: `${tmp.dir}/vigil.db` });
  });

  afterAll(async () => {
    await vigil?.stop();
    await provider?.close();
    tmp.remove();
  });

  it('sends each alert only where its rule says, once, and recoveries to their own channel', async () => {
    const server = vigil!;
    const fake = provider!;
    const api = apiClient(server.url, server.bootstrap!.key);
    const problems = ['down', 'failed', 'too_long'];
    const channels = [
      {
        kind: 'telegram',
        name: 'on-call phone',
        config: { bot_token: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', chat_id: 42, api_url: fake.url },
        events: problems,
        min_severity: 'critical',
      },
      {
        kind: 'pagerduty',
        name: 'pager',
        config: { routing_key: ROUTING_KEY, api_url: fake.url },
        events: [...problems, 'up'],
        min_severity: 'critical',
      },
      {
        kind: 'discord',
        name: 'team chat',
        config: { webhook_url: `${fake.url}/api/webhooks/1234/token-abc` },
        events: problems,
        max_severity: 'important',
      },
      {
        kind: 'slack',
        name: 'recoveries',
        config: { webhook_url: `${fake.url}/services/T000/B000/XXXX` },
        events: ['up'],
      },
    ];
    for (const channel of channels) {
      const res = await api('POST', '/channels', channel);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }

    const names = { critical: 'payments', important: 'reports', low: 'cleanup' } as const;
    const ids: Record<string, string> = {};
    for (const [severity, name] of Object.entries(names)) {
      const res = await api<{ id: string }>('POST', '/checks', {
        name,
        severity,
        schedule: { kind: 'interval', period: PERIOD_S, grace: GRACE_S },
      });
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
    }
    const pingAll = () =>
      Promise.all(Object.values(ids).map((id) => fetch(`${server.url}/ping/${id}`, { method: 'POST' })));

    // The routes endpoint says the same before anything happens.
    const routes = await api<{ routes: Record<string, { name: string }[]> }>(
      'GET',
      `/checks/${ids.payments}/routes`,
    );
    expect(routes.body.routes.down!.map((c) => c.name)).toEqual(['on-call phone', 'pager']);
    expect(routes.body.routes.up!.map((c) => c.name)).toEqual(['pager', 'recoveries']);

    await pingAll();
    // down: 1 Telegram + 1 PagerDuty trigger (payments), 2 Discord (reports, cleanup)
    await waitFor('four down alerts', () => fake.requests.length >= 4, (PERIOD_S + GRACE_S) * 1000 + 5000);
    await pingAll();
    // up: 1 PagerDuty resolve (payments), 3 Slack
    await waitFor('four recoveries', () => fake.requests.length >= 8, 5000);
    // nothing more arrives: no duplicates (the checks were just pinged, so none is due yet)
    await new Promise((r) => setTimeout(r, 700));

    const got = fake.requests.map((r) => {
      const body = r.body.toString();
      // a PagerDuty resolve names no check, only its dedup_key (which carries the check id)
      const check = Object.values(names).find((n) => body.includes(n) || body.includes(ids[n]!)) ?? '?';
      return `${channelOf(r)} ${check}`;
    });
    expect(got.slice(0, 4).sort()).toEqual([
      'discord cleanup',
      'discord reports',
      'pagerduty payments',
      'telegram payments',
    ]);
    expect(got.slice(4).sort()).toEqual([
      'pagerduty payments',
      'slack cleanup',
      'slack payments',
      'slack reports',
    ]);

    // PagerDuty: trigger then resolve with the same dedup_key, so the incident closes itself
    const pd = fake.requests
      .filter((r) => channelOf(r) === 'pagerduty')
      .map((r) => JSON.parse(r.body.toString()) as { event_action: string; dedup_key: string });
    expect(pd.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd[0]!.dedup_key).toBe(pd[1]!.dedup_key);

    // Recoveries say how long the check was down
    const slackTexts = fake.requests.filter((r) => channelOf(r) === 'slack').map((r) => r.body.toString());
    expect(slackTexts.every((t) => t.includes('Down for'))).toBe(true);
  });
});
