// Config as code with checks a source discovered: they are exported with the team's fields
// only, `apply` sets those and refuses the source's, and nothing a file does deletes them.
// Also the newer check fields (success_criteria, http kind and probe) round-trip.
import { describe, expect, it } from 'vitest';
import { type CurrentCheck, type CurrentState, describeOp, plan } from '../../src/config-as-code/plan.ts';
import { stateToFile } from '../../src/config-as-code/remote.ts';
import { ConfigFileSchema } from '../../src/config-as-code/schema.ts';
import { parseConfigFile, writeConfigFile } from '../../src/config-as-code/yaml.ts';

const SOURCE = { id: '0b9e2c1a-0000-4000-8000-00000000aaaa', name: 'db1' };

function check(fields: Partial<CurrentCheck> & { slug: string }): CurrentCheck {
  return {
    id: `id-${fields.slug}`,
    name: fields.slug,
    description: '',
    tags: [],
    schedule: { kind: 'interval', period: 3600, grace: 300 },
    max_runtime: null,
    failure_threshold: 1,
    severity: 'important',
    channels: [],
    realert_every: null,
    success_criteria: '',
    kind: 'push',
    probe: null,
    source: null,
    archived_at: null,
    ...fields,
  };
}

const vacuum = check({
  slug: 'db1/vacuum',
  name: 'vacuum',
  schedule: { kind: 'cron', expression: '0 3 * * *', timezone: 'UTC', grace: 120 },
  source: { id: SOURCE.id, key: '7' },
});
const health = check({
  slug: 'db1',
  name: 'db1 (source)',
  schedule: { kind: 'interval', period: 60, grace: 120 },
  source: { id: SOURCE.id, key: '' },
});
const probe = {
  method: 'GET',
  url: 'https://example.com/health',
  expected_status: ['200-299'],
  keyword: null,
  keyword_mode: 'contains',
  timeout: 10,
  headers: { Authorization: '••••cret', Accept: 'application/json' },
  body: null,
};
const site = check({
  slug: 'site',
  kind: 'http',
  probe,
  schedule: { kind: 'interval', period: 60, grace: 0 },
});

const current: CurrentState = {
  checks: [vacuum, health, site],
  channels: [
    {
      id: 'ch-1',
      name: 'dba',
      kind: 'webhook',
      config: {},
      events: ['down'],
      min_severity: 'low',
      max_severity: 'critical',
      tags: [],
    },
  ],
  maintenance: [],
  sources: [SOURCE],
};

const file = (data: unknown) => ConfigFileSchema.parse(data);

describe('apply with checks from sources', () => {
  it('sets the team’s fields of a discovered check, by id and nothing else', () => {
    const p = plan(
      file({
        checks: [
          {
            slug: 'db1/vacuum',
            source: 'db1',
            severity: 'critical',
            success_criteria: 'finishes before 04:00 and reclaims space',
            channels: ['dba'],
          },
        ],
      }),
      current,
      { prune: false },
    );
    expect(p.problems).toEqual([]);
    expect(p.ops).toEqual([
      {
        action: 'update',
        type: 'check',
        key: 'db1/vacuum',
        path: ['checks', 0],
        fields: ['severity', 'success_criteria', 'channels'],
        body: { severity: 'critical', success_criteria: 'finishes before 04:00 and reclaims space' },
        channels: ['dba'],
        discovered: { id: vacuum.id },
      },
    ]);
  });

  it('treats a discovered check as such even when the file does not say so', () => {
    const p = plan(
      file({ checks: [{ slug: 'db1/vacuum', schedule: vacuum.schedule, tags: ['db'] }] }),
      current,
      {
        prune: false,
      },
    );
    expect(p.problems).toEqual([]);
    expect(p.ops).toMatchObject([
      { fields: ['tags'], body: { tags: ['db'] }, discovered: { id: vacuum.id } },
    ]);
  });

  it('refuses to change what the source owns, naming the field and the source', () => {
    const p = plan(
      file({
        checks: [
          {
            slug: 'db1/vacuum',
            source: 'db1',
            name: 'Nightly vacuum',
            schedule: { kind: 'cron', expression: '0 4 * * *', timezone: 'UTC' },
            grace: 600,
          },
        ],
      }),
      current,
      { prune: false },
    );
    expect(p.ops).toEqual([]);
    expect(p.problems.map((x) => x.path)).toEqual([
      ['checks', 0, 'name'],
      ['checks', 0, 'schedule'],
      ['checks', 0, 'grace'],
    ]);
    expect(p.problems[0]!.message).toMatch(
      /^owned by source "db1": it follows the job there\. Remove it from the file; the team sets description, tags, .*success_criteria and channels$/,
    );
  });

  it('lets an export repeat the source’s fields as they are', () => {
    const p = plan(
      file({
        checks: [{ slug: 'db1/vacuum', name: 'vacuum', schedule: vacuum.schedule, severity: 'important' }],
      }),
      current,
      { prune: false },
    );
    expect(p).toMatchObject({ ops: [], problems: [], unchanged: 1 });
  });

  it('says when a check marked as from a source is not one, or not from that source', () => {
    const p = plan(
      file({
        checks: [
          { slug: 'site', source: 'db1' },
          { slug: 'db1/vacuum', source: 'db2' },
          { slug: 'db1/analyze', source: 'db1' },
        ],
      }),
      current,
      { prune: false },
    );
    expect(p.problems).toEqual([
      {
        path: ['checks', 0, 'source'],
        message: '"site" is not from a source; remove "source" to manage it as your own check',
      },
      { path: ['checks', 1, 'source'], message: '"db1/vacuum" comes from source "db1", not "db2"' },
      {
        path: ['checks', 2, 'source'],
        message:
          'no check "db1/analyze" on the server yet: a source makes its checks when it reads its jobs (vigil sources sync db1)',
      },
    ]);
  });

  it('never deletes a discovered check, even with --prune', () => {
    const p = plan(file({ checks: [{ slug: 'site', schedule: site.schedule }] }), current, { prune: true });
    expect(p.ops.map(describeOp)).toEqual([]);
    expect(p.fromSources).toBe(2);
  });

  it('requires a schedule of the team’s own checks', () => {
    const parsed = ConfigFileSchema.safeParse({ checks: [{ slug: 'mine' }] });
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['checks', 0, 'schedule'],
        message: 'required (only checks marked with the "source" that made them go without one)',
      }),
    ]);
  });
});

describe('success_criteria, kind and probe', () => {
  it('sends them when creating a check', () => {
    const p = plan(
      file({
        checks: [
          {
            slug: 'api',
            schedule: { kind: 'interval', period: 60 },
            kind: 'http',
            probe: { url: 'https://api.example.com/health' },
            success_criteria: 'answers 2xx',
          },
        ],
      }),
      current,
      { prune: false },
    );
    expect(p.ops[0]).toMatchObject({
      action: 'create',
      body: {
        kind: 'http',
        success_criteria: 'answers 2xx',
        probe: {
          method: 'GET',
          url: 'https://api.example.com/health',
          expected_status: ['200-299'],
          timeout: 10,
        },
      },
    });
  });

  it('takes a masked header as the stored one, and sees a changed probe or criteria', () => {
    const same = plan(
      file({ checks: [{ slug: 'site', schedule: site.schedule, kind: 'http', probe }] }),
      current,
      {
        prune: false,
      },
    );
    expect(same.ops).toEqual([]);
    const changed = plan(
      file({
        checks: [
          {
            slug: 'site',
            schedule: site.schedule,
            probe: { ...probe, keyword: 'ok' },
            success_criteria: 'says ok',
          },
        ],
      }),
      current,
      { prune: false },
    );
    expect(changed.ops.map(describeOp)).toEqual(['~ check site: success_criteria, probe']);
  });
});

describe('export', () => {
  it('writes a discovered check with its source’s name and the team’s fields only', () => {
    const out = stateToFile(current);
    expect(out.checks).toEqual([
      {
        slug: 'db1/vacuum',
        source: 'db1',
        description: '',
        success_criteria: '',
        tags: [],
        max_runtime: null,
        failure_threshold: 1,
        severity: 'important',
        channels: [],
        realert_every: null,
      },
      expect.objectContaining({ slug: 'db1', source: 'db1' }),
      expect.objectContaining({ slug: 'site', kind: 'http', probe, schedule: site.schedule }),
    ]);
  });

  it('leaves archived checks out', () => {
    const gone = check({
      slug: 'db1/old',
      source: { id: SOURCE.id, key: '9' },
      archived_at: '2026-01-05T12:00:00.000Z',
    });
    expect(stateToFile({ ...current, checks: [gone] }).checks).toEqual([]);
  });

  it('applies back as a no-op, through YAML', () => {
    const state = { ...current, channels: [] };
    const text = writeConfigFile(stateToFile(state), 'yaml');
    const p = plan(parseConfigFile(text, 'vigil.yaml').config, state, { prune: true });
    expect(p).toMatchObject({ ops: [], problems: [], unchanged: 3 });
  });
});
