// GET /llms.txt: the guide for AI agents, with this server's real URLs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BASE_URL, createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

describe('GET /llms.txt', () => {
  it('answers plain UTF-8 text', async () => {
    const res = await h.app.request('/llms.txt');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toMatch(/^# vigil\n/);
  });

  it('shows how to create, ping and read a check, and acknowledge an incident, with the base URL', async () => {
    const text = await (await h.app.request('/llms.txt')).text();
    expect(text).toContain(`curl -X PUT ${BASE_URL}/api/v1/checks/by-slug/`);
    expect(text).toContain(`${BASE_URL}/ping/<id>`);
    expect(text).toContain(`${BASE_URL}/api/v1/checks/<id>`);
    expect(text).toContain(`${BASE_URL}/api/v1/incidents/<incident-id>/acknowledge`);
    expect(text).toContain(`${BASE_URL}/api/v1/openapi.json`);
  });

  it('needs no key and leaks none', async () => {
    const text = await (await h.app.request('/llms.txt')).text();
    expect(text).not.toContain(h.key);
    expect(text).not.toContain(h.project.pingKey);
  });
});
