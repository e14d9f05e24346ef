// `vigil apply`'s plan and API calls against the real API (in-process) with a source and the
// checks it discovered: the team's fields apply, the source's stay, and nothing is deleted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient } from '../../src/cli/api-client.ts';
import { describeOp, plan } from '../../src/config-as-code/plan.ts';
import { applyOps, fetchState, stateToFile } from '../../src/config-as-code/remote.ts';
import { parseConfigFile, writeConfigFile } from '../../src/config-as-code/yaml.ts';
import type { Check } from '../../src/store/store.ts';
import { BASE_URL, createHarness, type Harness } from '../helpers/harness.ts';
import { jobCheck } from '../sources/fixtures.ts';

let h: Harness;
let api: ReturnType<typeof apiClient>;
let vacuum: Check;
let healthId: string;

beforeEach(async () => {
  h = await createHarness();
  api = apiClient({
    url: BASE_URL,
    apiKey: h.key,
    fetch: (url, init) => Promise.resolve(h.app.request(String(url), init)),
  });
  const res = await h.api('POST', '/sources', {
    name: 'db1',
    kind: 'pg_cron',
    config: { url: 'postgres://vigil_monitor:s3cret-pass@db.example.com:5432/app' },
  });
  expect(res.status).toBe(201);
  const source = (await res.json()) as { id: string; health_check_id: string };
  healthId = source.health_check_id;
  vacuum = await jobCheck(h, { id: source.id, name: 'db1' }, '7', 'vacuum', {
    kind: 'cron',
    expression: '0 3 * * *',
    timezone: 'UTC',
    grace: 120,
  });
});
afterEach(() => h.close());

async function apply(yaml: string, prune = false) {
  const current = await fetchState(api);
  const p = plan(parseConfigFile(yaml, 'vigil.yaml').config, current, { prune });
  expect(p.problems).toEqual([]);
  await applyOps(api, p.ops, current);
  return p;
}

describe('vigil apply with a source', () => {
  it('exports the source’s checks with its name and the team’s fields, and applies that as a no-op', async () => {
    const text = writeConfigFile(stateToFile(await fetchState(api)), 'yaml');
    expect(text).toContain('- slug: db1/vacuum\n    source: db1\n');
    expect(text).not.toContain('expression');
    expect(text).not.toContain('s3cret');
    const p = await apply(text, true);
    expect(p).toMatchObject({ ops: [], unchanged: 2 });
  });

  it('sets severity, success criteria, tags and channels of a discovered check, keeping its schedule', async () => {
    await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'dba',
      config: { url: 'https://hooks.example.com/dba' },
    });
    const p = await apply(`checks:
  - slug: db1/vacuum
    source: db1
    severity: critical
    success_criteria: reclaims space and finishes before 04:00
    tags: [db]
    channels: [dba]
`);
    expect(p.ops.map(describeOp)).toEqual(['~ check db1/vacuum: tags, severity, success_criteria, channels']);
    const after = (await h.store.getCheck(vacuum.id))!;
    expect(after).toMatchObject({
      severity: 'critical',
      successCriteria: 'reclaims space and finishes before 04:00',
      tags: ['db'],
      schedule: vacuum.schedule,
      name: 'vacuum',
      origin: vacuum.origin,
    });
    expect(after.channels).toHaveLength(1);
  });

  it('never deletes the source’s checks, even with --prune', async () => {
    const p = await apply('checks: []\n', true);
    expect(p.ops).toEqual([]);
    expect(p.fromSources).toBe(2);
    expect(await h.store.getCheck(vacuum.id)).not.toBeNull();
    expect(await h.store.getCheck(healthId)).not.toBeNull();
  });
});
