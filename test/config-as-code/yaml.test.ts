import { describe, expect, it } from 'vitest';
import { ConfigFileError, parseConfigFile, writeConfigFile } from '../../src/config-as-code/yaml.ts';

const GOOD = `# a comment
checks:
  - slug: nightly-backup
    schedule: { kind: cron, expression: "0 2 * * *", timezone: Europe/Berlin }
    tags: [db, backup]
  - slug: db-vacuum
    schedule:
      kind: interval
      period: 3600
    grace: 120
`;

function errorOf(text: string, file = 'vigil.yaml'): string {
  try {
    parseConfigFile(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseConfigFile', () => {
  it('reads YAML with comments, flow lists and quoted strings', () => {
    const { config, lineOf } = parseConfigFile(GOOD, 'vigil.yaml');
    expect(config.checks?.[0]).toMatchObject({
      slug: 'nightly-backup',
      schedule: { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin' },
      tags: ['db', 'backup'],
    });
    expect(config.checks?.[1]).toMatchObject({ grace: 120 });
    expect(lineOf(['checks', 1, 'schedule', 'period'])).toBe(9);
  });

  it('reads JSON, with its lines', () => {
    const text =
      '{\n  "checks": [\n    {"slug": "a",\n     "schedule": {"kind": "interval", "period": 0}}\n  ]\n}\n';
    expect(errorOf(text, 'vigil.json')).toBe('vigil.json:4: checks[0].schedule.period: must be at least 1 s');
  });

  it('names file, line and field of an invalid value', () => {
    const text = GOOD.replace('0 2 * * *', 'every night');
    expect(errorOf(text)).toMatch(/^vigil\.yaml:4: checks\[0\]\.schedule\.expression: /);
  });

  it('points a missing field at its object', () => {
    expect(errorOf('checks:\n  - slug: a\n    name: A\n')).toMatch(/^vigil\.yaml:2: checks\[0\]\.schedule: /);
  });

  it('names an unknown field on its own line', () => {
    expect(errorOf('checks:\n  - slug: a\n    schedule: {kind: none}\n    shedule: 5\n')).toBe(
      'vigil.yaml:4: checks[0].shedule: unknown field "shedule"',
    );
  });

  it('reports a slug listed twice', () => {
    expect(
      errorOf('checks:\n  - {slug: a, schedule: {kind: none}}\n  - {slug: a, schedule: {kind: none}}\n'),
    ).toBe('vigil.yaml:3: checks[1].slug: listed twice');
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('checks:\n  - slug: a\n   bad: [\n')).toMatch(/^vigil\.yaml:\d+: /);
    expect(errorOf('checks: []\nchecks: []\n')).toMatch(/^vigil\.yaml:2: .*unique/i);
  });

  it('checks windows by the API’s rules', () => {
    expect(errorOf('maintenance:\n  - name: w\n    cron: "0 2 * * 0"\n')).toBe(
      'vigil.yaml:2: maintenance[0].duration: a recurring window needs duration',
    );
  });
});

describe('writeConfigFile', () => {
  const data = { checks: [{ slug: 'a', schedule: { kind: 'none' as const } }] };

  it('writes YAML that reads back, with the note on masked secrets', () => {
    const text = writeConfigFile(data, 'yaml');
    expect(text).toMatch(/^# .*\n# Secrets are masked/);
    expect(parseConfigFile(text, 'x.yaml').config).toEqual(data);
  });

  it('writes JSON with the note as "//"', () => {
    const text = writeConfigFile(data, 'json');
    expect(JSON.parse(text)['//']).toMatch(/Secrets are masked/);
    expect(parseConfigFile(text, 'x.json').config.checks).toEqual(data.checks);
  });
});
