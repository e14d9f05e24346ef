// `vigil crontab import` in-process against the real server: the checks it upserts, the crontab
// it prints, and that importing its own output changes nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCrontab, slugForCommand } from '../../src/cli/crontab-lines.ts';
import { type CheckJson, useJobServer, vigilIn } from './job-server.ts';

const server = useJobServer('vigil-crontab-');

const SAMPLE = `# m h dom mon dow command
MAILTO=ops@example.com
*/5 * * * * /usr/local/bin/poll-queue --fast

CRON_TZ=Europe/Berlin
30 2 * * 1-5 /opt/jobs/backup.sh --full
@daily find /tmp -mtime +7 -delete
@reboot /usr/local/bin/warm-cache
0 3 * * * echo "report" | mail -s nightly ops
15 4 * * * vigil run kept-slug -- /opt/jobs/rotate-logs.sh
0 5 * * * printf 'a\\n%b%' > /tmp/x
`;

const POLL = slugForCommand('/usr/local/bin/poll-queue --fast');
const BACKUP = slugForCommand('/opt/jobs/backup.sh --full');
const FIND = slugForCommand('find /tmp -mtime +7 -delete');
const PRINTF = slugForCommand("printf 'a\\n%b%' > /tmp/x");

const EXPECTED = `# m h dom mon dow command
MAILTO=ops@example.com
*/5 * * * * vigil run ${POLL} -- /usr/local/bin/poll-queue --fast

CRON_TZ=Europe/Berlin
30 2 * * 1-5 vigil run ${BACKUP} -- /opt/jobs/backup.sh --full
@daily vigil run ${FIND} -- find /tmp -mtime +7 -delete
@reboot /usr/local/bin/warm-cache
0 3 * * * echo "report" | mail -s nightly ops
15 4 * * * vigil run kept-slug -- /opt/jobs/rotate-logs.sh
0 5 * * * vigil run ${PRINTF} -- printf 'a\\n%b%' > /tmp/x
`;

async function allChecks(): Promise<CheckJson[]> {
  return (await server.api<{ checks: CheckJson[] }>('GET', '/checks?limit=500')).body.checks;
}

describe('crontab lines', () => {
  it('names a job after its program and a hash of the whole command, the same every time', () => {
    expect(BACKUP).toMatch(/^backup-sh-[0-9a-f]{6}$/);
    expect(slugForCommand('/opt/jobs/backup.sh --full')).toBe(BACKUP);
    expect(slugForCommand('/opt/jobs/backup.sh --incremental')).not.toBe(BACKUP);
  });

  it('gives the same command on two schedules a check each', () => {
    const jobs = parseCrontab('0 1 * * * a.sh\n0 13 * * * a.sh\n', 'UTC').filter((l) => l.kind === 'job');
    expect(jobs.map((j) => j.slug)).toEqual([slugForCommand('a.sh'), `${slugForCommand('a.sh')}-2`]);
  });

  it('takes TZ= when there is no CRON_TZ=', () => {
    const [, job] = parseCrontab('TZ="America/New_York"\n0 1 * * * a.sh\n', 'UTC');
    expect(job).toMatchObject({ kind: 'job', timezone: 'America/New_York' });
  });
});

describe('vigil crontab import', () => {
  const file = () => join(server.dir, 'crontab.txt');

  it('prints nothing changed and creates no check with --dry-run', async () => {
    writeFileSync(file(), SAMPLE);
    const run = await vigilIn(['crontab', 'import', file(), '--dry-run'], server.env);
    expect(run.code).toBe(0);
    expect(run.out).toBe(EXPECTED);
    expect(await allChecks()).toEqual([]);
  });

  it('creates a cron check per job with its expression and timezone, and prints the wrapped crontab', async () => {
    const run = await vigilIn(['crontab', 'import', file(), '--tag', 'cron'], server.env);
    expect(run.code).toBe(0);
    expect(run.out).toBe(EXPECTED);
    expect(run.err).toContain('line 8: skipped: @reboot');
    expect(run.err).toContain('line 9: skipped: a compound command');
    expect(run.err).toContain('5 checks created, 0 updated');
    const bySlug = new Map((await allChecks()).map((c) => [c.slug, c]));
    expect([...bySlug.keys()].sort()).toEqual([POLL, BACKUP, FIND, PRINTF, 'kept-slug'].sort());
    expect(bySlug.get(POLL)?.schedule).toMatchObject({
      kind: 'cron',
      expression: '*/5 * * * *',
      timezone: 'UTC',
    });
    expect(bySlug.get(BACKUP)?.schedule).toMatchObject({
      expression: '30 2 * * 1-5',
      timezone: 'Europe/Berlin',
    });
    expect(bySlug.get(FIND)?.schedule).toMatchObject({ expression: '@daily', timezone: 'Europe/Berlin' });
    expect(bySlug.get('kept-slug')).toMatchObject({
      name: '/opt/jobs/rotate-logs.sh',
      schedule: { expression: '15 4 * * *', timezone: 'Europe/Berlin' },
    });
    expect(bySlug.get(BACKUP)).toMatchObject({ name: '/opt/jobs/backup.sh --full', tags: ['cron'] });
  });

  it('changes nothing when run again on its own output', async () => {
    const before = await allChecks();
    writeFileSync(file(), EXPECTED);
    const run = await vigilIn(['crontab', 'import', file(), '--write', '--tag', 'cron'], server.env);
    expect(run.code).toBe(0);
    expect(run.out).toBe(EXPECTED);
    expect(run.err).toContain('0 checks created, 5 updated');
    expect(readFileSync(file(), 'utf8')).toBe(EXPECTED);
    const after = await allChecks();
    expect(after.map(({ id, slug, name, schedule, tags }) => ({ id, slug, name, schedule, tags }))).toEqual(
      before.map(({ id, slug, name, schedule, tags }) => ({ id, slug, name, schedule, tags })),
    );
  });

  it('uses --timezone for jobs before any CRON_TZ= line', async () => {
    const tz = join(server.dir, 'tz.txt');
    writeFileSync(tz, '0 6 * * * /opt/jobs/tz-job.sh\n');
    const run = await vigilIn(['crontab', 'import', tz, '--timezone', 'Asia/Tokyo'], server.env);
    expect(run.code).toBe(0);
    const check = (await allChecks()).find((c) => c.slug === slugForCommand('/opt/jobs/tz-job.sh'));
    expect(check?.schedule).toMatchObject({ expression: '0 6 * * *', timezone: 'Asia/Tokyo' });
  });

  it('rejects an unknown timezone and --write with --dry-run', async () => {
    expect((await vigilIn(['crontab', 'import', file(), '--timezone', 'Mars/Base'], server.env)).code).toBe(
      2,
    );
    expect((await vigilIn(['crontab', 'import', file(), '--write', '--dry-run'], server.env)).code).toBe(2);
  });
});
