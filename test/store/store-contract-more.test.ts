// More of the Store contract: people, incidents, status pages, maintenance, the read side of
// flips and pings, and two races that many nodes on one database must survive. Like
// sqlite-store.test.ts, it runs on every engine in storeFactories.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  type Incident,
  type Maintenance,
  type Membership,
  type Session,
  type StatusPage,
  type Store,
  type User,
} from '../../src/store/store.ts';
import {
  DAY,
  MINUTE,
  makeChannel,
  makeCheck,
  makeNotification,
  makePing,
  makeProject,
  SECOND,
  storeFactories,
  T0,
} from './fixtures.ts';

function makeUser(overrides: Partial<User> = {}): User {
  const id = randomUUID();
  return {
    id,
    email: `${id.slice(0, 8)}@example.com`,
    passwordHash: 'scrypt$1$1$1$s$h',
    createdAt: T0,
    ...overrides,
  };
}

/** A promise and the function that settles it, to hold a transaction open at a chosen point. */
function latch() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, done };
}

describe.each(storeFactories)('Store on $engine (more)', (factory) => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ store, dispose } = await factory.open());
  });
  afterEach(() => dispose());

  async function projectWithCheck(overrides: Parameters<typeof makeCheck>[1] = {}) {
    const project = makeProject();
    await store.insertProject(project);
    const check = makeCheck(project.id, overrides);
    await store.insertCheck(check);
    return { project, check };
  }

  describe('projects', () => {
    it('finds a project by its badge key, and updates it', async () => {
      const project = makeProject();
      await store.insertProject(project);
      expect(await store.getProjectByBadgeKey(project.badgeKey)).toEqual(project);
      expect(await store.getProjectByBadgeKey('nope')).toBeNull();
      const changed = { ...project, name: 'renamed', silencePeriod: 60, badgeKey: 'bk-new' };
      await store.updateProject(changed);
      expect(await store.getProjectByBadgeKey('bk-new')).toEqual(changed);
      expect(await store.getProjectByBadgeKey(project.badgeKey)).toBeNull();
    });
  });

  describe('users and memberships', () => {
    it('finds a user by id and by email whatever its letter case, and lists users by email', async () => {
      const bob = makeUser({ email: 'bob@example.com' });
      const alice = makeUser({ email: 'alice@example.com' });
      await store.insertUser(bob);
      await store.insertUser(alice);
      expect(await store.getUser(bob.id)).toEqual(bob);
      expect(await store.getUserByEmail('BOB@Example.com')).toEqual(bob);
      expect(await store.getUserByEmail('carol@example.com')).toBeNull();
      expect((await store.listUsers()).map((u) => u.email)).toEqual(['alice@example.com', 'bob@example.com']);
    });

    it('refuses a second user with the same email, and updates one', async () => {
      const user = makeUser({ email: 'same@example.com' });
      await store.insertUser(user);
      await expect(store.insertUser(makeUser({ email: 'same@example.com' }))).rejects.toThrow();
      const changed = { ...user, email: 'new@example.com', passwordHash: 'scrypt$2' };
      await store.updateUser(changed);
      expect(await store.getUser(user.id)).toEqual(changed);
    });

    it('adds a membership, changes its role in place, lists both ways, and deletes it', async () => {
      const user = makeUser();
      const other = makeUser();
      const a = makeProject();
      const b = makeProject();
      for (const u of [user, other]) await store.insertUser(u);
      for (const p of [a, b]) await store.insertProject(p);
      const ma: Membership = { userId: user.id, projectId: a.id, role: 'member', createdAt: T0 };
      const mb: Membership = { userId: user.id, projectId: b.id, role: 'owner', createdAt: T0 + SECOND };
      const mo: Membership = {
        userId: other.id,
        projectId: a.id,
        role: 'read-only',
        createdAt: T0 + 2 * SECOND,
      };
      for (const m of [mb, ma, mo]) await store.putMembership(m);
      await store.putMembership({ ...ma, role: 'owner', createdAt: T0 + DAY });

      expect(await store.listMemberships(user.id)).toEqual([{ ...ma, role: 'owner' }, mb]);
      expect((await store.listMembers(a.id)).map((m) => [m.userId, m.role])).toEqual([
        [user.id, 'owner'],
        [other.id, 'read-only'],
      ]);
      expect(await store.deleteMembership(user.id, a.id)).toBe(true);
      expect(await store.deleteMembership(user.id, a.id)).toBe(false);
      expect((await store.listMemberships(user.id)).map((m) => m.projectId)).toEqual([b.id]);
    });
  });

  describe('sessions', () => {
    async function session(overrides: Partial<Session> = {}): Promise<Session> {
      const user = makeUser();
      await store.insertUser(user);
      const s: Session = {
        id: `sha-${randomUUID()}`,
        userId: user.id,
        csrfToken: 'csrf',
        projectId: null,
        createdAt: T0,
        expiresAt: T0 + DAY,
        ...overrides,
      };
      await store.insertSession(s);
      return s;
    }

    it('stores, reads, updates and deletes a session', async () => {
      const s = await session();
      expect(await store.getSession(s.id)).toEqual(s);
      const moved = { ...s, projectId: 'p1', expiresAt: T0 + 2 * DAY };
      await store.updateSession(moved);
      expect(await store.getSession(s.id)).toEqual(moved);
      expect(await store.deleteSession(s.id)).toBe(true);
      expect(await store.deleteSession(s.id)).toBe(false);
      expect(await store.getSession(s.id)).toBeNull();
    });

    it('deletes the sessions that expired by now, and counts them', async () => {
      const expired = await session({ expiresAt: T0 });
      const live = await session({ expiresAt: T0 + 1 });
      expect(await store.deleteExpiredSessions(T0)).toBe(1);
      expect(await store.getSession(expired.id)).toBeNull();
      expect(await store.getSession(live.id)).not.toBeNull();
    });

    it("signs a user out everywhere, leaving other users' sessions", async () => {
      const mine = await session();
      await store.insertSession({ ...mine, id: `sha-${randomUUID()}` });
      const theirs = await session();
      expect(await store.deleteUserSessions(mine.userId)).toBe(2);
      expect(await store.getSession(theirs.id)).toEqual(theirs);
    });
  });

  describe('incidents', () => {
    async function incident(checkId: string, projectId: string, overrides: Partial<Incident> = {}) {
      const flipId = await store.insertFlip({ checkId, at: T0, from: 'up', to: 'down', reason: 'x' });
      const row: Omit<Incident, 'id'> = {
        projectId,
        checkId,
        flipId,
        event: 'down',
        reason: 'no ping',
        openedAt: T0,
        resolvedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        ...overrides,
      };
      return { id: await store.insertIncident(row), ...row };
    }

    it('opens, acknowledges once, and resolves an incident', async () => {
      const { project, check } = await projectWithCheck();
      const opened = await incident(check.id, project.id);
      expect(await store.getIncident(opened.id)).toEqual(opened);
      expect(await store.openIncident(check.id)).toEqual(opened);

      expect(await store.acknowledgeIncident(opened.id, T0 + MINUTE, 'ann@example.com')).toBe(true);
      expect(await store.acknowledgeIncident(opened.id, T0 + 2 * MINUTE, 'bob@example.com')).toBe(false);
      await store.resolveIncident(opened.id, T0 + 5 * MINUTE);
      await store.resolveIncident(opened.id, T0 + 9 * MINUTE);
      expect(await store.getIncident(opened.id)).toEqual({
        ...opened,
        acknowledgedAt: T0 + MINUTE,
        acknowledgedBy: 'ann@example.com',
        resolvedAt: T0 + 5 * MINUTE,
      });
      expect(await store.openIncident(check.id)).toBeNull();
      expect(await store.getIncident(opened.id + 1000)).toBeNull();
    });

    it('lists the incidents of the projects asked for, newest first, filtered and paged', async () => {
      const { project, check } = await projectWithCheck();
      const other = makeCheck(project.id);
      await store.insertCheck(other);
      const elsewhere = await projectWithCheck();
      const first = await incident(check.id, project.id, { resolvedAt: T0 + MINUTE });
      const second = await incident(other.id, project.id);
      const third = await incident(check.id, project.id);
      const foreign = await incident(elsewhere.check.id, elsewhere.project.id);

      const ids = (rows: Incident[]) => rows.map((i) => i.id);
      expect(ids(await store.listIncidents([project.id], { limit: 10 }))).toEqual([
        third.id,
        second.id,
        first.id,
      ]);
      expect(ids(await store.listIncidents([project.id, elsewhere.project.id], { limit: 2 }))).toEqual([
        foreign.id,
        third.id,
      ]);
      expect(ids(await store.listIncidents([project.id], { limit: 10, open: true }))).toEqual([
        third.id,
        second.id,
      ]);
      expect(ids(await store.listIncidents([project.id], { limit: 10, checkId: check.id }))).toEqual([
        third.id,
        first.id,
      ]);
      expect(ids(await store.listIncidents([project.id], { limit: 10, before: second.id }))).toEqual([
        first.id,
      ]);
      expect(await store.listIncidents([], { limit: 10 })).toEqual([]);
    });
  });

  describe('status pages', () => {
    it('stores a page with its checks in order, finds it by id and slug, updates and deletes it', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const page: StatusPage = {
        id: randomUUID(),
        projectId: project.id,
        slug: 'acme',
        title: 'Acme status',
        checkIds: ['c2', 'c1'],
        createdAt: T0,
        updatedAt: T0,
      };
      await store.insertStatusPage(page);
      await store.insertStatusPage({ ...page, id: randomUUID(), slug: 'aaa' });
      expect(await store.getStatusPage(page.id)).toEqual(page);
      expect(await store.getStatusPageBySlug('acme')).toEqual(page);
      expect((await store.listStatusPages(project.id)).map((p) => p.slug)).toEqual(['aaa', 'acme']);
      await expect(store.insertStatusPage({ ...page, id: randomUUID() })).rejects.toThrow();

      const changed = { ...page, slug: 'acme-2', title: 'New', checkIds: ['c1'], updatedAt: T0 + DAY };
      await store.updateStatusPage(changed);
      expect(await store.getStatusPageBySlug('acme')).toBeNull();
      expect(await store.getStatusPage(page.id)).toEqual(changed);
      expect(await store.deleteStatusPage(page.id)).toBe(true);
      expect(await store.deleteStatusPage(page.id)).toBe(false);
    });
  });

  describe('maintenance', () => {
    it('stores one-off and recurring windows, lists them oldest first, updates and deletes them', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const once: Maintenance = {
        id: randomUUID(),
        projectId: project.id,
        name: 'upgrade',
        kind: 'once',
        startsAt: T0,
        endsAt: T0 + 2 * 3600_000,
        checkIds: ['c1'],
        tags: [],
        createdAt: T0,
        updatedAt: T0,
      };
      const weekly: Maintenance = {
        id: randomUUID(),
        projectId: project.id,
        name: 'backups',
        kind: 'recurring',
        cron: '0 3 * * 0',
        timezone: 'Europe/Berlin',
        duration: 1800,
        checkIds: [],
        tags: ['db'],
        createdAt: T0 + SECOND,
        updatedAt: T0 + SECOND,
      };
      await store.insertMaintenance(weekly);
      await store.insertMaintenance(once);
      expect(await store.getMaintenance(once.id)).toEqual(once);
      expect(await store.getMaintenance(weekly.id)).toEqual(weekly);
      expect((await store.listMaintenance(project.id)).map((m) => m.id)).toEqual([once.id, weekly.id]);

      const recurring: Maintenance = { ...weekly, id: once.id, createdAt: T0, updatedAt: T0 + DAY };
      await store.updateMaintenance(recurring);
      expect(await store.getMaintenance(once.id)).toEqual(recurring);
      expect(await store.deleteMaintenance(once.id)).toBe(true);
      expect(await store.deleteMaintenance(once.id)).toBe(false);
    });
  });

  describe('checks', () => {
    it('finds checks whose name contains the query, ignoring case, with no wildcards', async () => {
      const project = makeProject();
      await store.insertProject(project);
      for (const [slug, name] of [
        ['a', 'Nightly Backup'],
        ['b', 'backup-weekly'],
        ['c', 'reports'],
        ['d', 'back_up'],
      ] as const) {
        await store.insertCheck(makeCheck(project.id, { slug, name }));
      }
      const slugs = async (q: string) =>
        (await store.listChecks(project.id, { q }, { limit: 50 })).checks.map((c) => c.slug).sort();
      expect(await slugs('BACKUP')).toEqual(['a', 'b']);
      expect(await slugs('c_u')).toEqual([]);
      expect(await slugs('%')).toEqual([]);
      expect(await slugs('_')).toEqual(['d']);
    });

    it('finds the oldest check with exactly a name', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const newer = makeCheck(project.id, { name: 'dup', createdAt: T0 + SECOND });
      const older = makeCheck(project.id, { name: 'dup', createdAt: T0 });
      await store.insertCheck(newer);
      await store.insertCheck(older);
      expect((await store.getCheckByName(project.id, 'dup'))?.id).toBe(older.id);
      expect(await store.getCheckByName(project.id, 'Dup')).toBeNull();
    });

    it('writes only the state columns with updateCheckState, guarded by the rev', async () => {
      const { check } = await projectWithCheck();
      const next = { ...check, status: 'up' as const, lastPingAt: T0, rev: check.rev + 1, name: 'ignored' };
      expect(await store.updateCheckState(next, check.rev)).toBe(true);
      expect(await store.updateCheckState(next, check.rev)).toBe(false);
      expect(await store.getCheck(check.id)).toEqual({ ...next, name: check.name });
    });

    it('returns down checks whose reminder is due, earliest first, and knows the earliest one', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const at = (slug: string, status: 'down' | 'up', remindAt: number | null) =>
        makeCheck(project.id, { slug, status, remindAt });
      for (const c of [
        at('later', 'down', T0),
        at('earliest', 'down', T0 - MINUTE),
        at('future', 'down', T0 + MINUTE),
        at('recovered', 'up', T0 - DAY),
        at('none', 'down', null),
      ]) {
        await store.insertCheck(c);
      }
      expect((await store.dueReminders(T0, 10)).map((c) => c.slug)).toEqual(['earliest', 'later']);
      expect((await store.dueReminders(T0, 1)).map((c) => c.slug)).toEqual(['earliest']);
      expect(await store.earliestReminder()).toBe(T0 - MINUTE);
    });
  });

  describe('pings', () => {
    it('lists the outcomes of the newest pings without their bodies', async () => {
      const { check } = await projectWithCheck();
      await store.insertPing(makePing(check.id, 1), 100);
      await store.insertPing(makePing(check.id, 2, { kind: 'exit', exitStatus: 2 }), 100);
      await store.insertPing(makePing(check.id, 3, { kind: 'fail' }), 100);
      expect(await store.listPingOutcomes(check.id, 2)).toEqual([
        { n: 3, at: T0 + 3 * SECOND, kind: 'fail', exitStatus: null },
        { n: 2, at: T0 + 2 * SECOND, kind: 'exit', exitStatus: 2 },
      ]);
    });
  });

  describe('flips', () => {
    async function flipsAt(checkId: string, times: number[]) {
      const ids: number[] = [];
      for (const at of times)
        ids.push(await store.insertFlip({ checkId, at, from: 'up', to: 'down', reason: 'r' }));
      return ids;
    }

    it('gives the flips inside a span, oldest first, after the last one before it', async () => {
      const { check } = await projectWithCheck();
      const [, before, inA, inB] = await flipsAt(check.id, [T0 - DAY, T0 - 1, T0, T0 + MINUTE, T0 + DAY]);
      const rows = await store.flipsForUptime(check.id, T0, T0 + DAY, 10);
      expect(rows.map((f) => f.id)).toEqual([before, inA, inB]);
      expect((await store.flipsForUptime(check.id, T0, T0 + DAY, 1)).map((f) => f.id)).toEqual([before, inA]);
      expect((await store.flipsForUptime(check.id, T0 - 2 * DAY, T0 - DAY, 10)).map((f) => f.id)).toEqual([]);
    });

    it('finds the newest flip and a flip by id', async () => {
      const { check } = await projectWithCheck();
      expect(await store.lastFlip(check.id)).toBeNull();
      const [first, second] = await flipsAt(check.id, [T0, T0 + MINUTE]);
      expect((await store.lastFlip(check.id))?.id).toBe(second);
      expect((await store.getFlip(first!))?.at).toBe(T0);
      expect(await store.getFlip(second! + 1000)).toBeNull();
    });

    it('returns held flips whose release is due, earliest first, and brings held ones forward', async () => {
      const { project, check } = await projectWithCheck();
      const elsewhere = await projectWithCheck();
      const [held, grace, later, foreign] = [
        ...(await flipsAt(check.id, [T0, T0, T0])),
        ...(await flipsAt(elsewhere.check.id, [T0])),
      ];
      await store.setFlipAlert(held!, 'held', 'maintenance', T0 + DAY);
      await store.setFlipAlert(grace!, 'grace', null, T0 + MINUTE);
      await store.setFlipAlert(later!, 'held', 'maintenance', T0 + 2 * DAY);
      await store.setFlipAlert(foreign!, 'held', 'maintenance', T0 + DAY);
      expect(await store.getFlip(held!)).toMatchObject({
        alert: 'held',
        alertNote: 'maintenance',
        releaseAt: T0 + DAY,
      });
      expect(await store.earliestRelease()).toBe(T0 + MINUTE);
      expect((await store.dueReleases(T0 + DAY, 10)).map((f) => f.id)).toEqual([grace, held, foreign]);

      // grace flips keep their time; the other project's held flip is not touched
      expect(await store.reviewHeld(project.id, T0 + SECOND)).toBe(2);
      expect((await store.dueReleases(T0 + SECOND, 10)).map((f) => f.id).sort()).toEqual(
        [held, later].sort(),
      );
      expect((await store.getFlip(foreign!))?.releaseAt).toBe(T0 + DAY);
    });
  });

  describe('the outbox with a long queue', () => {
    /**
     * `count` alerts to `channel`, a check each, due `firstDue` and a millisecond apart after it.
     * The checks need not exist: an alert outlives its check (no foreign key).
     */
    async function queue(
      projectId: string,
      channelId: string,
      count: number,
      firstDue: number,
      flipBase: number,
    ) {
      const checks = Array.from({ length: count }, () => makeCheck(projectId));
      await store.insertNotifications(
        checks.map((check, i) =>
          makeNotification(check, flipBase + i, channelId, { nextAttemptAt: firstDue + i }),
        ),
      );
    }

    it('claims the oldest due rows of the other channels past a capped channel’s long queue', async () => {
      const { project } = await projectWithCheck();
      const [stuck, other] = [makeChannel(project.id), makeChannel(project.id)];
      await store.insertChannel(stuck);
      await store.insertChannel(other);
      await queue(project.id, stuck.id, 50, T0 - 10 * MINUTE, 1000); // older than all of other's
      await queue(project.id, other.id, 3, T0 - MINUTE, 5000);
      const claimed = await store.claimNotifications(T0, T0 + MINUTE, 2, [stuck.id]);
      expect(claimed.map((n) => [n.channelId, n.nextAttemptAt])).toEqual([
        [other.id, T0 - MINUTE],
        [other.id, T0 - MINUTE + 1],
      ]);
      // with no channel left out, the oldest due row of all comes first, whatever its channel
      const next = await store.claimNotifications(T0, T0 + MINUTE, 2);
      expect(next.map((n) => [n.channelId, n.nextAttemptAt])).toEqual([
        [stuck.id, T0 - 10 * MINUTE],
        [stuck.id, T0 - 10 * MINUTE + 1],
      ]);
    });

    it('knows the earliest due time past a long run of rows in flight and rows waiting their turn', async () => {
      const { project, check } = await projectWithCheck();
      const channel = makeChannel(project.id);
      await store.insertChannel(channel);
      // more than the rows of the first pages SQLite reads (16, 64, then 256)
      await queue(project.id, channel.id, 260, T0 - 10 * MINUTE, 1000);
      // all in flight, until T0 + 10 min
      expect(await store.claimNotifications(T0, T0 + 10 * MINUTE, 260)).toHaveLength(260);
      expect(await store.earliestNotificationDue()).toBe(T0 + 10 * MINUTE);
      // one check's two alerts: the second waits for the first, however early it is due
      await store.insertNotifications([
        makeNotification(check, 9000, channel.id, { nextAttemptAt: T0 + 5 * MINUTE }),
        makeNotification(check, 9001, channel.id, { nextAttemptAt: T0 - 20 * MINUTE }),
      ]);
      expect(await store.earliestNotificationDue()).toBe(T0 + 5 * MINUTE);
    });
  });

  describe('races between transactions', () => {
    it('keeps one outbox row when two transactions queue the same (flip, channel, seq)', async () => {
      const { project, check } = await projectWithCheck();
      const channel = makeChannel(project.id);
      await store.insertChannel(channel);
      const flipId = await store.insertFlip({
        checkId: check.id,
        at: T0,
        from: 'up',
        to: 'down',
        reason: 'x',
      });
      const row = makeNotification(check, flipId, channel.id, { seq: 1 });
      const hold = latch();
      const queued = latch();
      // the first holds its insert uncommitted while the second inserts the same key
      const first = store.transaction(async (tx) => {
        await tx.insertNotifications([row]);
        queued.open();
        await hold.done;
      });
      await queued.done;
      const second = store.transaction((tx) => tx.insertNotifications([{ ...row, payload: 'second' }]));
      // Time for the second to reach the database and block on the first's key (PostgreSQL) or
      // queue behind its lock (SQLite). The outcome must be the same if it gets there later.
      await new Promise((resolve) => setTimeout(resolve, 50));
      hold.open();
      await Promise.all([first, second]);
      const rows = await store.listNotifications(check.id, 10);
      expect(rows).toHaveLength(1);
      // The row of the transaction that wrote first: on D1 a transaction's writes are one batch
      // sent when it ends, so there that is the second, which ended first.
      expect(rows[0]!.payload).toBe(factory.engine === 'd1' ? 'second' : row.payload);
    });

    it('lets exactly one of two transactions update a check from the same rev', async () => {
      const { check } = await projectWithCheck();
      const hold = latch();
      const written = latch();
      const first = store.transaction(async (tx) => {
        const ok = await tx.updateCheck({ ...check, status: 'up', rev: check.rev + 1 }, check.rev);
        written.open();
        await hold.done;
        return ok;
      });
      await written.done;
      const second = store.transaction((tx) =>
        tx.updateCheck({ ...check, status: 'down', rev: check.rev + 1 }, check.rev),
      );
      await new Promise((resolve) => setTimeout(resolve, 50)); // as above
      hold.open();
      if (factory.engine === 'd1') {
        // D1 writes when a transaction ends: the second wins, and the first finds out then,
        // runs again (still from the old rev, as this one is written) and gives up
        const [a, b] = await Promise.allSettled([first, second]);
        expect(a).toMatchObject({ status: 'rejected', reason: expect.any(ConflictError) });
        expect(b).toEqual({ status: 'fulfilled', value: true });
        expect(await store.getCheck(check.id)).toMatchObject({ status: 'down', rev: check.rev + 1 });
        return;
      }
      expect(await Promise.all([first, second])).toEqual([true, false]);
      expect(await store.getCheck(check.id)).toMatchObject({ status: 'up', rev: check.rev + 1 });
    });

    it('never gives the same outbox row to two concurrent claims', async () => {
      const { project } = await projectWithCheck();
      const channel = makeChannel(project.id);
      await store.insertChannel(channel);
      // a check each: one check's rows for one channel are claimed one at a time anyway
      const checks = Array.from({ length: 20 }, () => makeCheck(project.id));
      for (const check of checks) await store.insertCheck(check);
      await store.insertNotifications(
        checks.map((check, i) => makeNotification(check, 1000 + i, channel.id)),
      );
      const claims = await Promise.all(
        Array.from({ length: 4 }, () => store.claimNotifications(T0, T0 + MINUTE, 8)),
      );
      const ids = claims.flat().map((n) => n.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(20);
    });
  });
});
