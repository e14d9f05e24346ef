// The database refuses writes while vigil runs, then takes them again: pings get 503 with
// Retry-After, reads go on, the dashboard and /healthz say why, the operator hears it once
// through a webhook, and vigil carries on by itself once writes work (no restart).
//
// How the refusals are made, honestly and without root:
// - Disk full: a real disk cannot be filled safely in a test, and a small filesystem of our own
//   needs mount rights. Instead vigil's own connection gets PRAGMA max_page_count from the
//   test-only VIGIL_TEST_MAX_PAGE_COUNT (sqlite-store.ts): the file may not grow past the size it
//   has when vigil opens it, and SQLite refuses a write that needs a new page with SQLITE_FULL,
//   as it does on a full disk. Space is then freed the way an operator frees disk space: the
//   test deletes a large row it planted beforehand (from its own connection), and the pages it
//   held become free for vigil's writes.
// - Read-only: a process that already has the file open for writing keeps writing when the
//   file's mode changes (Linux checks it at open), so the file is read-only at start: the
//   common mistake of a database made by root (or restored from a backup) that the service's
//   user may not write. vigil starts anyway, serves reads and refuses pings with 503; when the
//   permissions are fixed it opens the file again by itself. A test running as root (whom
//   permissions do not stop) runs vigil as the user "nobody" for this.
import { chmodSync, chownSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/users.ts';
import { OPERATOR_CHECK_ID } from '../../src/scheduler/operator-alerts.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { randomToken, SESSION_COOKIE, sha256 } from '../../src/web/session.ts';
import { PASSWORD } from '../helpers/web.ts';
import { payloadOf, type Received, type Receiver, startReceiver } from './receiver.ts';
import { apiClient, startVigil, tempDir, type VigilProcess, waitFor } from './server-process.ts';

/** The operator messages about the database, `down` or `up`. */
const operatorMessages = (receiver: Receiver, event: 'down' | 'up') =>
  receiver.requests.filter(
    (r) =>
      String(r.headers['x-vigil-delivery']).startsWith('storage-') &&
      payloadOf(r).check.id === OPERATOR_CHECK_ID &&
      payloadOf(r).event === event,
  );
const isOperator = (event: 'down' | 'up') => (r: Received) =>
  String(r.headers['x-vigil-delivery']).startsWith('storage-') && payloadOf(r).event === event;

async function ping(
  url: string,
  body?: string,
): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', body });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

async function healthz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A first start that bootstraps, a webhook channel to `receiver`, and a check; vigil is stopped again. */
async function prepare(dbPath: string, receiver: Receiver, user?: { uid: number; gid: number }) {
  const first = await startVigil({ dbPath, ...(user ? { user } : {}) });
  const api = apiClient(first.url, first.bootstrap!.key);
  const channel = await api('POST', '/channels', {
    kind: 'webhook',
    name: 'ops',
    config: { url: receiver.url },
  });
  expect(channel.status).toBe(201);
  const check = await api<{ id: string; ping_url: string }>('POST', '/checks', {
    name: 'nightly',
    schedule: { kind: 'interval', period: 3600, grace: 3600 },
  });
  expect(check.status).toBe(201);
  expect((await first.kill('SIGTERM')).code).toBe(0);
  return { key: first.bootstrap!.key, port: first.port, check: check.body };
}

// The two specs run at the same time (most of each is waiting for vigil's next probe of the
// database), each with its own receiver for the operator's messages.
describe.concurrent('the database refuses writes', () => {
  const receivers: Receiver[] = [];
  const running: VigilProcess[] = [];

  afterAll(async () => {
    for (const v of running) await v.stop();
    for (const r of receivers) await r.close();
  });

  async function ownReceiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  it('answers 503 while the disk is full, says why, tells the operator once, and recovers by itself', async () => {
    const tmp = tempDir();
    try {
      const dbPath = `${tmp.dir}/vigil.db`;
      const hooks = await ownReceiver();
      const { key, port, check } = await prepare(dbPath, hooks);

      // A signed-in dashboard user, and 512 KiB of ballast that the test can free later; then
      // VACUUM, so the file has no free page left when vigil opens it.
      const prep = await openSqliteStore(dbPath);
      const token = randomToken();
      await prep.transaction(async (tx) => {
        const user = await createUser(tx, 'ops@example.com', PASSWORD, Date.now());
        const project = (await tx.listProjects())[0]!;
        await tx.putMembership({
          userId: user.id,
          projectId: project.id,
          role: 'owner',
          createdAt: Date.now(),
        });
        await tx.insertSession({
          id: await sha256(token),
          userId: user.id,
          csrfToken: randomToken(24),
          projectId: project.id,
          createdAt: Date.now(),
          expiresAt: Date.now() + 86_400_000,
        });
      });
      await prep.setMeta('test.ballast', 'x'.repeat(512 * 1024));
      await prep.close();
      const raw = new Database(dbPath);
      raw.exec('VACUUM');
      raw.close();

      // The page cap is the file's size now: what fits in the pages it has fits, nothing more.
      const vigil = await startVigil({ dbPath, port, env: { VIGIL_TEST_MAX_PAGE_COUNT: '1' } });
      running.push(vigil);
      const cookie = `${SESSION_COOKIE}=${token}`;
      const dashboard = async () => (await fetch(`${vigil.url}/checks`, { headers: { cookie } })).text();
      const api = apiClient(vigil.url, key);
      expect((await healthz(vigil.url)).status).toBe(200);

      // Pings with 8 KiB bodies: each needs new pages, and soon there are none.
      let refused: Awaited<ReturnType<typeof ping>> | null = null;
      let accepted = 0;
      for (let i = 0; i < 50 && !refused; i++) {
        const answer = await ping(check.ping_url, `run ${i} ${'.'.repeat(8192)}`);
        if (answer.status === 200) accepted++;
        else refused = answer;
      }
      console.info(`disk full after ${accepted} accepted pings`);
      expect(refused).toMatchObject({ status: 503, retryAfter: '30' });
      expect(refused!.text).toBe(
        'vigil cannot store pings right now: the disk holding the database is full; send it again later',
      );
      // refused again and again, and never a 500
      for (let i = 0; i < 5; i++) expect((await ping(check.ping_url, 'y'.repeat(8192))).status).toBe(503);

      // An API write that needs room is refused the same way (checks are small: a few fit first).
      let write: { status: number; body: { error?: { code: string; message: string } } } | null = null;
      for (let i = 0; i < 200 && write?.status !== 503; i++) {
        write = await api('POST', '/checks', {
          name: `job ${i}`,
          description: 'd'.repeat(1000),
          schedule: { kind: 'interval', period: 3600, grace: 3600 },
        });
        expect([201, 503]).toContain(write.status);
      }
      expect(write!.status).toBe(503);
      expect(write!.body.error?.code).toBe('storage_unavailable');
      expect(write!.body.error?.message).toContain('the disk holding the database is full');
      const read = await api<{ checks: { id: string }[] }>('GET', '/checks');
      expect(read.status).toBe(200);
      expect(read.body.checks.map((c) => c.id)).toContain(check.id);

      const health = await healthz(vigil.url);
      expect(health.status).toBe(503);
      expect(health.body.storage).toMatchObject({ ok: false, problem: 'disk-full' });
      expect(await dashboard()).toContain('vigil cannot write to its database since');

      const down = await hooks.next(isOperator('down'), 10_000, 'the operator alert');
      expect(payloadOf(down).flip.reason).toContain('the disk holding the database is full');
      expect(payloadOf(down).flip.reason).toContain('free space on that disk');

      // The operator frees space: the ballast goes, and its pages are free for vigil's writes.
      const freedAt = Date.now();
      const operator = new Database(dbPath);
      operator.pragma('busy_timeout = 5000');
      operator.prepare("DELETE FROM meta WHERE key = 'test.ballast'").run();
      operator.close();

      // No restart: within the probe's period (5 s) pings are taken again.
      await waitFor(
        'pings to be accepted again',
        async () => (await ping(check.ping_url, 'back')).status === 200,
        {
          timeoutMs: 10_000,
          intervalMs: 200,
        },
      );
      const up = await hooks.next(isOperator('up'), 10_000, 'the recovery message');
      console.info(`recovered ${up.at - freedAt} ms after the space was freed`);
      expect(payloadOf(up).flip.reason).toContain('vigil can write to its database again');
      // healthy once the sweep, paused meanwhile, has run again
      await waitFor('/healthz to answer 200', async () => (await healthz(vigil.url)).status === 200);
      expect(await dashboard()).not.toContain('vigil cannot write to its database');
      expect(
        (
          await api('POST', '/checks', {
            name: 'another',
            schedule: { kind: 'interval', period: 60, grace: 60 },
          })
        ).status,
      ).toBe(201);
      const pings = await api<{ pings: { body: string | null }[] }>('GET', `/checks/${check.id}/pings`);
      expect(pings.body.pings.map((p) => p.body)).toContain('back');

      // one message each way, however many writes were refused
      expect(operatorMessages(hooks, 'down')).toHaveLength(1);
      expect(operatorMessages(hooks, 'up')).toHaveLength(1);
      expect(
        vigil.logs().filter((l) => String(l.msg).startsWith('the database refuses writes')),
      ).toHaveLength(1);
      await vigil.kill('SIGTERM');
    } finally {
      tmp.remove();
    }
  }, 60_000);

  it('starts on a read-only database file, refuses pings with 503, and goes on once the file is writable', async () => {
    const tmp = tempDir();
    try {
      const dbPath = `${tmp.dir}/vigil.db`;
      const hooks = await ownReceiver();
      // root is not stopped by file modes: run vigil as "nobody", who owns the directory
      const asRoot = process.getuid?.() === 0;
      const user = asRoot ? { uid: 65534, gid: 65534 } : undefined;
      if (user) chownSync(tmp.dir, user.uid, user.gid);
      const before = hooks.requests.length;
      const { key, port, check } = await prepare(dbPath, hooks, user);

      chmodSync(dbPath, 0o444);
      const vigil = await startVigil({ dbPath, port, ...(user ? { user } : {}) });
      running.push(vigil);
      const api = apiClient(vigil.url, key);

      const refused = await ping(check.ping_url);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('30');
      expect(refused.text).toContain('the database file is read-only');
      expect((await api('GET', `/checks/${check.id}`)).status).toBe(200);
      const health = await healthz(vigil.url);
      expect(health.status).toBe(503);
      expect(health.body.storage).toMatchObject({ ok: false, problem: 'read-only' });
      const since = (pred: (r: Received) => boolean) => (r: Received) =>
        hooks.requests.indexOf(r) >= before && pred(r);
      const down = await hooks.next(since(isOperator('down')), 10_000, 'the operator alert');
      expect(payloadOf(down).flip.reason).toContain('writable by the user vigil runs as');

      // The operator fixes the permissions of the file and of the -wal and -shm files SQLite
      // made beside it (read-only too, like the file they belong to).
      for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(f)) chmodSync(f, 0o644);
      await waitFor('pings to be accepted again', async () => (await ping(check.ping_url)).status === 200, {
        timeoutMs: 10_000,
        intervalMs: 200,
      });
      await hooks.next(since(isOperator('up')), 10_000, 'the recovery message');
      // healthy once the sweep, paused meanwhile, has run again
      await waitFor('/healthz to answer 200', async () => (await healthz(vigil.url)).status === 200);
      const pings = await api<{ pings: unknown[] }>('GET', `/checks/${check.id}/pings`);
      expect(pings.body.pings).toHaveLength(1);
      const mine = hooks.requests.slice(before);
      expect(mine.filter(isOperator('down'))).toHaveLength(1);
      expect(mine.filter(isOperator('up'))).toHaveLength(1);
      await vigil.kill('SIGTERM');
    } finally {
      tmp.remove();
    }
  }, 60_000);
});
