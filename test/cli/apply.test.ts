// `vigil apply` and `vigil export` against a real server on loopback.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { createApiKey, createProject } from '../../src/projects/keys.ts';
import { type Server, startServer } from '../../src/server.ts';
import { tempDir } from '../e2e/server-process.ts';

const tmp = tempDir('vigil-apply-');
let server: Server;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'vigil.db')}`,
      VIGIL_HOST: '127.0.0.1',
      VIGIL_PORT: '0',
    }),
    { logger: pino({ level: 'silent' }) },
  );
  const key = await server.store.transaction(async (tx) => {
    const actor = systemActor('test');
    const project = await createProject(tx, 'config as code', Date.now(), actor);
    return (await createApiKey(tx, project.id, { now: Date.now() }, actor)).key;
  });
  env = { VIGIL_URL: server.url, VIGIL_API_KEY: key, HOME: tmp.dir };
});
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

async function vigil(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

const CONFIG = `checks:
  - slug: nightly-backup
    name: Nightly backup
    schedule: { kind: cron, expression: "0 2 * * *", timezone: Europe/Berlin }
    grace: 600
    tags: [db]
    channels: [ops]
  - slug: db-vacuum
    schedule: { kind: interval, period: 3600 }
channels:
  - name: ops
    kind: webhook
    config:
      url: https://hooks.example.com/services/T000/B000/abcdefghijkl
      secret: a-long-signing-secret-1234
    min_severity: important
maintenance:
  - name: sunday backups
    cron: "0 1 * * 0"
    duration: 7200
    checks: [nightly-backup]
`;

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}/api/v1${path}`, { headers: { 'X-Api-Key': env.VIGIL_API_KEY! } });
  return (await res.json()) as T;
}

describe('vigil apply', () => {
  const path = () => file('vigil.yaml', CONFIG);

  it('changes nothing with --dry-run', async () => {
    const r = await vigil('apply', '-f', path(), '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '+ channel ops\n+ check nightly-backup\n+ check db-vacuum\n+ maintenance sunday backups\n= 0 unchanged',
    );
    expect(r.out).toContain('dry run: nothing changed');
    expect((await get<{ checks: unknown[] }>('/checks')).checks).toEqual([]);
  });

  it('creates the channels, checks and windows', async () => {
    const r = await vigil('apply', '-f', path());
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('applied 4 changes');
    const { checks } = await get<{
      checks: { slug: string; schedule: unknown; channels: string[]; id: string }[];
    }>('/checks');
    const { channels } = await get<{ channels: { id: string; name: string; min_severity: string }[] }>(
      '/channels',
    );
    const backup = checks.find((c) => c.slug === 'nightly-backup')!;
    expect(backup.schedule).toEqual({
      kind: 'cron',
      expression: '0 2 * * *',
      timezone: 'Europe/Berlin',
      grace: 600,
    });
    expect(backup.channels).toEqual([channels[0]!.id]);
    expect(channels[0]).toMatchObject({ name: 'ops', min_severity: 'important' });
    const { maintenance } = await get<{ maintenance: { name: string; checks: string[] }[] }>('/maintenance');
    expect(maintenance).toEqual([expect.objectContaining({ name: 'sunday backups', checks: [backup.id] })]);
  });

  it('is a no-op the second time', async () => {
    const r = await vigil('apply', '-f', path());
    expect(r.out).toBe('= 4 unchanged\n');
  });

  it('shows and applies a change by field', async () => {
    const changed = file('changed.yaml', CONFIG.replace('grace: 600', 'grace: 900'));
    expect((await vigil('apply', '-f', changed)).out).toContain(
      '~ check nightly-backup: grace\n= 3 unchanged',
    );
    expect((await vigil('apply', '-f', changed)).out).toBe('= 4 unchanged\n');
  });

  it('round-trips: applying an export changes nothing, and the export holds no secret', async () => {
    for (const name of ['export.yaml', 'export.json']) {
      const out = join(tmp.dir, name);
      expect((await vigil('export', '-o', out)).code).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toContain('a-long-signing-secret');
      expect(text).toContain('••••1234');
      expect(text).toMatch(/Secrets are masked/);
      expect((await vigil('apply', '-f', out)).out).toBe('= 4 unchanged\n');
    }
  });

  it('deletes what the file leaves out only with --prune', async () => {
    const smaller = file(
      'smaller.yaml',
      'checks:\n  - slug: db-vacuum\n    schedule: { kind: interval, period: 3600 }\nmaintenance: []\n',
    );
    expect((await vigil('apply', '-f', smaller)).out).toContain('= 1 unchanged\n  (3 on the server');
    const r = await vigil('apply', '-f', smaller, '--prune');
    expect(r.out).toContain('- maintenance sunday backups\n- check nightly-backup\n= 1 unchanged');
    expect((await get<{ checks: { slug: string }[] }>('/checks')).checks.map((c) => c.slug)).toEqual([
      'db-vacuum',
    ]);
    expect((await get<{ channels: unknown[] }>('/channels')).channels).toHaveLength(1); // not listed: kept
  });

  it('names file, line and field of an error, and changes nothing', async () => {
    const bad = file('bad.yaml', CONFIG.replace('period: 3600', 'period: 0'));
    const r = await vigil('apply', '-f', bad);
    expect(r.code).toBe(65);
    expect(r.err).toBe('vigil apply: bad.yaml:9: checks[1].schedule.period: must be at least 1 s\n');
    const unknown = file('unknown.yaml', CONFIG.replace('channels: [ops]', 'channels: [pager]'));
    expect((await vigil('apply', '-f', unknown)).err).toContain(
      'unknown.yaml:7: checks[0].channels[0]: no channel named "pager"',
    );
  });
});
