// "Your first check in one minute", as a user does it: start vigil on an empty database, take
// the key it prints, add a webhook, create a check, ping it, stop pinging, get the alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notifiers/webhook.ts';
import { payloadOf, type Receiver, startReceiver } from './receiver.ts';
import { apiClient, startVigil, tempDir, type VigilProcess } from './server-process.ts';

const PERIOD_S = 2;
const GRACE_S = 1;
/** the bound: the signed webhook arrives no later than this after the deadline */
const MAX_ALERT_DELAY_MS = 1500;

describe('first alert, end to end', () => {
  const tmp = tempDir();
  let vigil: VigilProcess | undefined;
  let receiver: Receiver | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    vigil = await startVigil({ dbPath: `${tmp.dir}/vigil.db` });
  });

  afterAll(async () => {
    await vigil?.stop();
    await receiver?.close();
    tmp.remove();
  });

  it('sends a signed down alert within 1.5 s of the deadline, then a signed recovery', async () => {
    const server = vigil!;
    const hooks = receiver!;
    expect(server.bootstrap, `first start prints the API key\n${server.stdout()}`).not.toBeNull();
    const api = apiClient(server.url, server.bootstrap!.key);

    const channel = await api<{ id: string; config: { secret: string } }>('POST', '/channels', {
      kind: 'webhook',
      name: 'loopback',
      config: { url: hooks.url },
    });
    expect(channel.status).toBe(201);
    const secret = channel.body.config.secret;
    expect(secret).toMatch(/^[0-9a-f]{16,}$/);

    const check = await api<{ id: string; status: string; ping_url: string }>('POST', '/checks', {
      name: 'nightly backup',
      schedule: { kind: 'interval', period: PERIOD_S, grace: GRACE_S },
    });
    expect(check.status).toBe(201);
    expect(check.body.status).toBe('new');
    const pingUrl = check.body.ping_url;
    expect(pingUrl).toBe(`${server.url}/ping/${check.body.id}`);

    // One ping as a job would send it, then silence.
    const before = Date.now();
    const ping = await fetch(pingUrl, { method: 'POST', body: 'backup ok' });
    const after = Date.now();
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe('OK');

    const down = await hooks.next(
      (r) => payloadOf(r).event === 'down',
      (PERIOD_S + GRACE_S) * 1000 + MAX_ALERT_DELAY_MS + 2000,
      'down webhook',
    );
    const downPayload = payloadOf(down);
    // The server's own record of the ping (the same machine's clock) fixes the deadline.
    const lastPingAt = Date.parse(downPayload.check.last_ping_at!);
    expect(lastPingAt).toBeGreaterThanOrEqual(before);
    expect(lastPingAt).toBeLessThanOrEqual(after);
    const deadline = lastPingAt + (PERIOD_S + GRACE_S) * 1000;
    const delay = down.at - deadline;
    console.info(`down webhook ${delay} ms after the deadline`);
    expect(delay).toBeGreaterThanOrEqual(0); // not early: the check had its full grace
    expect(delay).toBeLessThanOrEqual(MAX_ALERT_DELAY_MS);

    expect(down.method).toBe('POST');
    expect(down.headers['content-type']).toMatch(/^application\/json/);
    expect(down.headers['x-vigil-event']).toBe('down');
    expect(down.headers['x-vigil-delivery']).toMatch(/^\d+-[0-9a-z]+$/);
    expect(await verifySignature(secret, down.body, down.headers['x-vigil-signature'] as string)).toBe(true);
    expect(
      await verifySignature('not-the-secret', down.body, down.headers['x-vigil-signature'] as string),
    ).toBe(false);
    expect(downPayload.check).toMatchObject({ id: check.body.id, name: 'nightly backup', status: 'down' });
    expect(downPayload.flip).toMatchObject({ to: 'down' });
    // "late" is not a default event of a channel: the down alert is the only request so far
    expect(hooks.requests).toHaveLength(1);

    const shown = await api<{ status: string }>('GET', `/checks/${check.body.id}`);
    expect(shown.body.status).toBe('down');

    // The job runs again: one ping brings the check back, and the recovery is signed too.
    const recoveredAt = Date.now();
    const again = await fetch(pingUrl);
    expect(again.status).toBe(200);
    const up = await hooks.next((r) => payloadOf(r).event === 'up', 5000, 'recovery webhook');
    console.info(`up webhook ${up.at - recoveredAt} ms after the ping`);
    const upPayload = payloadOf(up);
    expect(up.headers['x-vigil-event']).toBe('up');
    expect(await verifySignature(secret, up.body, up.headers['x-vigil-signature'] as string)).toBe(true);
    expect(upPayload.check).toMatchObject({ id: check.body.id, status: 'up' });
    expect(upPayload.flip).toMatchObject({ from: 'down', to: 'up' });
    expect(up.headers['x-vigil-delivery']).not.toBe(down.headers['x-vigil-delivery']);
    expect(hooks.requests.map((r) => payloadOf(r).event)).toEqual(['down', 'up']);

    const flips = await api<{ flips: { from: string; to: string }[] }>(
      'GET',
      `/checks/${check.body.id}/flips`,
    );
    expect(flips.status).toBe(200);
    expect(flips.body.flips.map((f) => `${f.from}>${f.to}`)).toEqual(
      expect.arrayContaining(['new>up', 'up>late', 'late>down', 'down>up']),
    );
    expect(server.stderr()).toBe('');
  });
});
