// vigil backup and vigil restore against a real vigil process: a backup taken by another
// process while pings keep arriving holds every ping answered before it began; a restore puts
// it back where a server can serve it, refuses while one does, and keeps what it replaced.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  runVigil,
  startVigil,
  tempDir,
  type VigilProcess,
  waitFor,
} from '../e2e/server-process.ts';
import { vigilIn } from './job-server.ts';

/** `loops` clients pinging one check each as fast as they are answered, each ping's body unique. */
function steadyPings(baseUrl: string, pingKey: string, loops: number) {
  const acked: string[] = [];
  const failures: string[] = [];
  let stopped = false;
  const run = async (loop: number) => {
    for (let i = 0; !stopped; i++) {
      const body = `ping-${loop}-${i}`;
      try {
        const res = await fetch(`${baseUrl}/ping/${pingKey}/job-${loop}?create=1`, { method: 'POST', body });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 201) acked.push(body);
        // a rate limit is no fault of the backup; anything else is
        else if (res.status !== 429) failures.push(`${body}: ${res.status}`);
        else await new Promise((r) => setTimeout(r, 50));
      } catch (err) {
        failures.push(`${body}: ${(err as Error).message}`);
      }
    }
  };
  const running = Promise.all(Array.from({ length: loops }, (_, i) => run(i)));
  return {
    acked,
    failures,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

function pingBodies(dbPath: string): Set<string> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return new Set((db.prepare('SELECT body FROM pings').all() as { body: string }[]).map((r) => r.body));
  } finally {
    db.close();
  }
}

function integrity(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('vigil backup and vigil restore', () => {
  const tmp = tempDir('vigil-backup-');
  const liveDb = join(tmp.dir, 'live', 'vigil.db');
  const backupFile = join(tmp.dir, 'vigil-backup.db');
  const env = {
    VIGIL_DATABASE_URL: `sqlite:${liveDb}`,
    // every ping of the run stays in the history, and nothing limits the pinging clients
    VIGIL_PING_RETENTION: '1000000',
    VIGIL_RATE_LIMIT_PING: 'off',
    VIGIL_RATE_LIMIT_PING_ADDRESS: 'off',
  };
  let live: VigilProcess | undefined;
  let apiKey = '';
  /** the pings answered before the backup began */
  let answeredBefore: string[] = [];

  beforeAll(async () => {
    mkdirSync(dirname(liveDb));
    live = await startVigil({ dbPath: liveDb, env });
    apiKey = live.bootstrap!.key;
  });
  afterAll(async () => {
    await live?.stop();
    tmp.remove();
  });

  it('copies a running vigil while pings flow: the copy is sound and holds every ping answered before it began', async () => {
    const server = live!;
    const pings = steadyPings(server.url, server.bootstrap!.pingKey, 4);
    try {
      await waitFor('pings to flow', () => pings.acked.length >= 200, { timeoutMs: 20_000 });
      answeredBefore = [...pings.acked];
      const run = await runVigil(['backup', backupFile], env, { cwd: tmp.dir, timeoutMs: 30_000 });
      const answeredDuring = pings.acked.length - answeredBefore.length;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^backed up .*vigil\.db to .*vigil-backup\.db: 4 checks, \d+ pings/);
      // the server went on answering while the other process copied its database
      expect(answeredDuring).toBeGreaterThan(0);
    } finally {
      await pings.stop();
    }
    expect(pings.failures).toEqual([]);
    expect(integrity(backupFile)).toBe('ok');
    const held = pingBodies(backupFile);
    const missing = answeredBefore.filter((b) => !held.has(b));
    expect(missing).toEqual([]);
    // and it is a snapshot: not more than the live database holds now
    expect(held.size).toBeLessThanOrEqual(pingBodies(liveDb).size);
    expect(existsSync(`${backupFile}-wal`)).toBe(false);
  });

  it('refuses to restore while a vigil serves the database, and changes nothing', async () => {
    const before = readFileSync(liveDb);
    const run = await vigilIn(['restore', backupFile], env);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      new RegExp(`cannot restore now: another vigil \\(pid ${live!.pid}\\) is serving`),
    );
    expect(readFileSync(liveDb).equals(before)).toBe(true);
    const api = apiClient(live!.url, apiKey);
    expect((await api('GET', '/checks')).status).toBe(200);
  });

  it('restores into a stopped, empty data directory, and vigil serves the checks from it', async () => {
    const dbPath = join(tmp.dir, 'fresh', 'vigil.db');
    const freshEnv = { ...env, VIGIL_DATABASE_URL: `sqlite:${dbPath}` };
    const run = await vigilIn(['restore', backupFile], freshEnv);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^restored .* 4 checks, \d+ pings\n/);
    // the channel secrets are sealed with the live directory's key: restored with the database
    expect(run.out).toContain(
      `if the backup's data directory had a secret.key, copy it to ${join(dirname(dbPath), 'secret.key')}`,
    );
    copyFileSync(join(dirname(liveDb), 'secret.key'), join(dirname(dbPath), 'secret.key'));
    chmodSync(join(dirname(dbPath), 'secret.key'), 0o600);
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
    const restored = await startVigil({ dbPath, env: freshEnv });
    try {
      // the backup's own project and key: no first-start bootstrap
      expect(restored.bootstrap).toBeNull();
      const api = apiClient(restored.url, apiKey);
      const checks = await api<{ checks: { slug: string; id: string }[] }>('GET', '/checks');
      expect(checks.status).toBe(200);
      expect(checks.body.checks.map((c) => c.slug).sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3']);
      const pings = await api<{ pings: { body: string | null }[] }>(
        'GET',
        `/checks/${checks.body.checks[0]!.id}/pings?limit=1`,
      );
      expect(pings.status).toBe(200);
      expect(pings.body.pings).toHaveLength(1);
    } finally {
      await restored.kill();
    }
  });

  it('keeps the database it replaces, with its WAL, beside the restored one', async () => {
    await live!.kill();
    const liveBodies = pingBodies(liveDb);
    const run = await vigilIn(['restore', backupFile, '--json'], env);
    expect(run.code, run.err).toBe(0);
    const out = JSON.parse(run.out) as { previous: string; pings: number; secret_key_file: string | null };
    expect(out.secret_key_file).toBe(join(dirname(liveDb), 'secret.key'));
    expect(out.previous).toMatch(/vigil\.db\.before-restore-\d{8}T\d{6}Z$/);
    expect(integrity(out.previous)).toBe('ok');
    expect(pingBodies(out.previous)).toEqual(liveBodies);
    expect(pingBodies(liveDb)).toEqual(pingBodies(backupFile));
    expect(out.pings).toBe(pingBodies(backupFile).size);
  });

  it('refuses a file that is not a vigil database, and changes nothing', async () => {
    const dbPath = join(tmp.dir, 'fresh', 'vigil.db');
    const freshEnv = { ...env, VIGIL_DATABASE_URL: `sqlite:${dbPath}` };
    const before = readFileSync(dbPath);
    const text = join(tmp.dir, 'notes.txt');
    writeFileSync(text, 'not a database at all, but long enough to look like a file header\n'.repeat(20));
    const other = join(tmp.dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)');
    db.close();
    for (const [file, why] of [
      [text, /is not a SQLite database/],
      [other, /not one of vigil's/],
      [join(tmp.dir, 'missing.db'), /there is no file/],
    ] as const) {
      const run = await vigilIn(['restore', file], freshEnv);
      expect(run.code, file).toBe(1);
      expect(run.err).toMatch(why);
      expect(run.err).toContain('nothing was changed');
    }
    expect(readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('will not overwrite a file without --force, nor back up a database that does not exist', async () => {
    const exists = await vigilIn(['backup', backupFile], env);
    expect(exists.code).toBe(1);
    expect(exists.err).toMatch(/exists; remove it or pass --force/);
    const none = await vigilIn(['backup', join(tmp.dir, 'b.db')], {
      VIGIL_DATABASE_URL: `sqlite:${join(tmp.dir, 'nowhere', 'vigil.db')}`,
    });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/there is no database at/);
    expect(existsSync(join(tmp.dir, 'nowhere'))).toBe(false);
  });

  it('points PostgreSQL users to pg_dump and pg_restore, without showing the password', async () => {
    const pgEnv = { VIGIL_DATABASE_URL: 'postgres://vigil:s3cret-pw@127.0.0.1:1/vigil' };
    const backup = await vigilIn(['backup', 'vigil.dump'], pgEnv);
    expect(backup.code).toBe(1);
    expect(backup.err).toContain('pg_dump');
    const restore = await vigilIn(['restore', 'vigil.dump'], pgEnv);
    expect(restore.code).toBe(1);
    expect(restore.err).toContain('pg_restore');
    expect(backup.err + restore.err).not.toContain('s3cret-pw');
  });
});
