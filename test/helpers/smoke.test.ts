import { afterEach, beforeEach, expect, it } from 'vitest';
import { createHarness, type Harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

it('creates a check through the API and pings it', async () => {
  const res = await h.api('POST', '/checks', { name: 'Backup', schedule: { kind: 'interval', period: 60, grace: 10 } });
  expect(res.status).toBe(201);
  const check = (await res.json()) as { id: string };
  const ping = await h.app.request(`/ping/${check.id}`);
  expect(ping.status).toBe(200);
  expect(await ping.text()).toBe('OK');
  const got = (await (await h.api('GET', `/checks/${check.id}`)).json()) as { status: string };
  expect(got.status).toBe('up');
});
