import { describe, expect, it } from 'vitest';
import { type CurrentState, configChanged, describeOp, plan } from '../../src/config-as-code/plan.ts';
import { ConfigFileSchema } from '../../src/config-as-code/schema.ts';

const HOOK = 'https://hooks.example.com/services/T000/B000/abcdefghijkl';
const SECRET = 'a-long-signing-secret-1234';

const current: CurrentState = {
  channels: [
    {
      id: 'ch-1',
      name: 'ops',
      kind: 'webhook',
      // as the API shows it: secrets masked
      config: { url: 'https://hooks.example.com/••••ijkl', secret: '••••1234', method: 'POST', headers: {} },
      events: ['down', 'failed', 'too_long', 'up'],
      min_severity: 'low',
      max_severity: 'critical',
      tags: [],
    },
  ],
  checks: [
    {
      id: 'c-1',
      slug: 'db-vacuum',
      name: 'DB vacuum',
      description: '',
      tags: ['db'],
      schedule: { kind: 'interval', period: 3600, grace: 300 },
      max_runtime: null,
      failure_threshold: 1,
      severity: 'important',
      channels: ['ch-1'],
      realert_every: null,
    },
  ],
  maintenance: [],
};

const file = (data: unknown) => ConfigFileSchema.parse(data);

describe('plan', () => {
  it('adds what the server lacks and counts what matches', () => {
    const p = plan(
      file({
        checks: [
          { slug: 'db-vacuum', schedule: { kind: 'interval', period: 3600 }, channels: ['ops'] },
          { slug: 'nightly-backup', schedule: { kind: 'cron', expression: '0 2 * * *' } },
        ],
      }),
      current,
      { prune: false },
    );
    expect(p.ops.map(describeOp)).toEqual(['+ check nightly-backup']);
    expect(p.unchanged).toBe(1);
    expect(p.problems).toEqual([]);
  });

  it('names the fields that change, with grace apart from the schedule', () => {
    const p = plan(
      file({
        checks: [{ slug: 'db-vacuum', schedule: { kind: 'interval', period: 600 }, grace: 60, tags: ['db'] }],
      }),
      current,
      { prune: false },
    );
    expect(p.ops.map(describeOp)).toEqual(['~ check db-vacuum: schedule, grace']);
  });

  it('deletes what a listed section leaves out only with prune', () => {
    const desired = file({ channels: [], checks: [] });
    expect(plan(desired, current, { prune: false })).toMatchObject({ ops: [], unmanaged: 2 });
    expect(plan(desired, current, { prune: true }).ops.map(describeOp)).toEqual([
      '- check db-vacuum',
      '- channel ops',
    ]);
    // a section left out of the file is not managed at all
    expect(plan(file({ checks: [] }), current, { prune: true }).ops.map(describeOp)).toEqual([
      '- check db-vacuum',
    ]);
  });

  it('reports unknown channel names and check slugs at their place in the file', () => {
    const p = plan(
      file({
        checks: [{ slug: 'a', schedule: { kind: 'none' }, channels: ['nope'] }],
        maintenance: [{ name: 'w', cron: '0 2 * * 0', duration: 3600, checks: ['ghost'] }],
      }),
      current,
      { prune: false },
    );
    expect(p.problems).toEqual([
      { path: ['checks', 0, 'channels', 0], message: 'no channel named "nope" in the file or on the server' },
      {
        path: ['maintenance', 0, 'checks', 0],
        message: 'no check with slug "ghost" in the file or on the server',
      },
    ]);
  });
});

describe('channel configs and masked secrets', () => {
  const stored = current.channels[0]!.config;

  it('takes a masked value as "keep the stored secret"', () => {
    expect(configChanged('webhook', { ...stored }, stored)).toBe(false);
    expect(configChanged('webhook', { url: stored.url, secret: '••••' }, stored)).toBe(false);
  });

  it('compares a plain secret by its masked form', () => {
    expect(configChanged('webhook', { url: HOOK, secret: SECRET }, stored)).toBe(false);
    expect(configChanged('webhook', { url: HOOK, secret: 'another-secret-9999' }, stored)).toBe(true);
  });

  it('keeps a secret the file leaves out, and fills the kind’s defaults before comparing', () => {
    expect(configChanged('webhook', { url: HOOK }, stored)).toBe(false);
    expect(configChanged('webhook', { url: HOOK, method: 'PUT' }, stored)).toBe(true);
  });

  it('sees a changed non-secret field', () => {
    expect(configChanged('webhook', { url: 'https://other.example.com/hook' }, stored)).toBe(true);
  });

  it('refuses a masked value for a channel that does not exist yet', () => {
    const p = plan(
      file({ channels: [{ name: 'new', kind: 'webhook', config: { url: HOOK, secret: '••••1234' } }] }),
      current,
      { prune: false },
    );
    expect(p.problems).toEqual([
      {
        path: ['channels', 0, 'config', 'secret'],
        message: 'a masked value keeps a stored secret, and this channel is new: write the real value',
      },
    ]);
  });

  it('names a channel whose kind would change', () => {
    const p = plan(file({ channels: [{ name: 'ops', kind: 'slack', config: { url: HOOK } }] }), current, {
      prune: false,
    });
    expect(p.problems[0]).toMatchObject({ path: ['channels', 0, 'kind'] });
  });
});
