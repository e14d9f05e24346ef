// `vigil status` and `vigil checks ls|show` in-process against the real server.
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckJson, makeCheck, useJobServer, vigilIn } from './job-server.ts';

const server = useJobServer('vigil-status-');

let backup: CheckJson;
beforeAll(async () => {
  await makeCheck(server, 'web-ping', { name: 'Web ping', tags: ['web'] });
  backup = await makeCheck(server, 'db-backup', { name: 'DB backup', tags: ['db'] });
});

describe('vigil status', () => {
  it('exits 0 while nothing is down', async () => {
    const run = await vigilIn(['status'], server.env);
    expect(run.code).toBe(0);
    expect(run.out).toContain('2 checks: 2 new');
    expect(run.out).toContain('Nothing is down.');
  });

  it('exits 1 and lists the down check with since when', async () => {
    expect((await vigilIn(['ping', 'db-backup', '--fail'], server.env)).code).toBe(0);
    const run = await vigilIn(['status'], server.env);
    expect(run.code).toBe(1);
    expect(run.out).toContain('1 new, 1 down');
    expect(run.out).toMatch(/DB backup \(db-backup\): down since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(.+\)/);
    const json = JSON.parse((await vigilIn(['status', '--json'], server.env)).out);
    expect(json.counts).toMatchObject({ new: 1, down: 1 });
    expect(json.down).toEqual([expect.objectContaining({ id: backup.id, slug: 'db-backup' })]);
  });

  it('says in --help what its exit code means', async () => {
    const run = await vigilIn(['status', '--help'], server.env);
    expect(run.code).toBe(0);
    expect(run.out).toContain('1 when at least one is');
  });
});

describe('vigil checks', () => {
  it('lists the checks as a table', async () => {
    const run = await vigilIn(['checks', 'ls'], server.env);
    expect(run.code).toBe(0);
    const [header, ...rows] = run.out.trimEnd().split('\n');
    expect(header).toMatch(/^STATUS\s+NAME\s+SLUG\s+SCHEDULE\s+LAST PING$/);
    expect(rows.some((r) => /^down\s+DB backup\s+db-backup\s+every 1 hour\s+\d{4}-/.test(r))).toBe(true);
    expect(rows.some((r) => /^new\s+Web ping\s+web-ping\s+every 1 hour\s+never$/.test(r))).toBe(true);
  });

  it('filters by tag and by status', async () => {
    const byTag = JSON.parse((await vigilIn(['checks', 'ls', '--tag', 'web', '--json'], server.env)).out);
    expect(byTag.map((c: CheckJson) => c.slug)).toEqual(['web-ping']);
    const byStatus = JSON.parse(
      (await vigilIn(['checks', 'ls', '--status', 'down', '--json'], server.env)).out,
    );
    expect(byStatus.map((c: CheckJson) => c.slug)).toEqual(['db-backup']);
  });

  it('shows one check by slug or by UUID', async () => {
    const bySlug = await vigilIn(['checks', 'show', 'db-backup'], server.env);
    expect(bySlug.code).toBe(0);
    expect(bySlug.out).toMatch(/^name:\s+DB backup$/m);
    expect(bySlug.out).toMatch(/^status:\s+down since /m);
    const id = /^id:\s+(\S+)$/m.exec(bySlug.out)?.[1] ?? '';
    const byId = JSON.parse((await vigilIn(['checks', 'show', id, '--json'], server.env)).out);
    expect(byId.slug).toBe('db-backup');
  });

  it('says so for an unknown slug, and needs an API key', async () => {
    const unknown = await vigilIn(['checks', 'show', 'nope'], server.env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no check with slug "nope"');
    const { VIGIL_API_KEY: _, ...env } = server.env;
    const noKey = await vigilIn(['checks', 'ls'], env);
    expect(noKey.code).toBe(78);
    expect(noKey.err).toContain('VIGIL_API_KEY');
  });
});
