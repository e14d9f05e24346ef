// The Store contract. Written against the interface only, so the same specs run on every
// engine listed in storeFactories (SQLite, and PostgreSQL when a server answers).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Check, Store } from '../../src/store/store.ts';
import {
  DAY,
  MINUTE,
  makeApiKey,
  makeChannel,
  makeCheck,
  makeNotification,
  makePing,
  makeProject,
  SECOND,
  storeFactories,
  T0,
} from './fixtures.ts';

describe.each(storeFactories)('Store on $engine', (factory) => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ store, dispose } = await factory.open());
  });
  afterEach(() => dispose());

  /** A project with one check in it, both stored. */
  async function projectWithCheck(overrides: Partial<Check> = {}) {
    const project = makeProject();
    await store.insertProject(project);
    const check = makeCheck(project.id, overrides);
    await store.insertCheck(check);
    return { project, check };
  }

  describe('projects', () => {
    it('finds a stored project by id, by name and by ping key', async () => {
      const project = makeProject({ name: 'backups' });
      await store.insertProject(project);
      expect(await store.getProject(project.id)).toEqual(project);
      expect(await store.getProjectByName('backups')).toEqual(project);
      expect(await store.getProjectByPingKey(project.pingKey)).toEqual(project);
    });

    it('answers null for a project that does not exist', async () => {
      expect(await store.getProject('nope')).toBeNull();
      expect(await store.getProjectByName('nope')).toBeNull();
      expect(await store.getProjectByPingKey('nope')).toBeNull();
    });

    it('lists projects oldest first', async () => {
      const later = makeProject({ createdAt: T0 + SECOND });
      const earlier = makeProject({ createdAt: T0 });
      await store.insertProject(later);
      await store.insertProject(earlier);
      expect((await store.listProjects()).map((p) => p.id)).toEqual([earlier.id, later.id]);
    });

    it('refuses a second project with the same name', async () => {
      await store.insertProject(makeProject({ name: 'same' }));
      await expect(store.insertProject(makeProject({ name: 'same' }))).rejects.toThrow();
    });
  });

  describe('API keys', () => {
    it('finds a key by its hash', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const key = makeApiKey(project.id, { readOnly: true });
      await store.insertApiKey(key);
      expect(await store.getApiKeyByHash(key.hash)).toEqual(key);
      expect(await store.getApiKeyByHash('no-such-hash')).toBeNull();
    });

    it("lists one project's keys, or every key", async () => {
      const a = makeProject();
      const b = makeProject();
      await store.insertProject(a);
      await store.insertProject(b);
      const ka = makeApiKey(a.id);
      const kb = makeApiKey(b.id, { createdAt: T0 + SECOND });
      await store.insertApiKey(ka);
      await store.insertApiKey(kb);
      expect((await store.listApiKeys(a.id)).map((k) => k.id)).toEqual([ka.id]);
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual([ka.id, kb.id]);
    });

    it('deletes a key by id or by prefix, and says whether one was deleted', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const byId = makeApiKey(project.id);
      const byPrefix = makeApiKey(project.id);
      await store.insertApiKey(byId);
      await store.insertApiKey(byPrefix);
      expect(await store.deleteApiKey(byId.id)).toBe(true);
      expect(await store.deleteApiKey(byPrefix.prefix)).toBe(true);
      expect(await store.deleteApiKey(byId.id)).toBe(false);
      expect(await store.listApiKeys(project.id)).toEqual([]);
    });
  });

  describe('checks', () => {
    it('reads back a stored check exactly as written', async () => {
      const { project } = await projectWithCheck();
      const check = makeCheck(project.id, {
        tags: ['prod', 'db'],
        schedule: { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin', grace: 600 },
        maxRuntime: 3600,
        failureThreshold: 3,
        severity: 'critical',
        manualResume: true,
        methods: 'post',
        status: 'up',
        failureCount: 2,
        lastPingAt: T0,
        openRuns: { abc: T0 - SECOND },
        nextDeadline: T0 + DAY,
        pingSeq: 7,
        rev: 4,
      });
      await store.insertCheck(check);
      expect(await store.getCheck(check.id)).toEqual(check);
    });

    it('finds a check by its slug within its project', async () => {
      const { project, check } = await projectWithCheck({ slug: 'nightly' });
      expect((await store.getCheckBySlug(project.id, 'nightly'))?.id).toBe(check.id);
      expect(await store.getCheckBySlug(project.id, 'other')).toBeNull();
      expect(await store.getCheckBySlug('another-project', 'nightly')).toBeNull();
    });

    it('allows the same slug in two projects', async () => {
      await projectWithCheck({ slug: 'nightly' });
      const { check } = await projectWithCheck({ slug: 'nightly' });
      expect(await store.getCheck(check.id)).not.toBeNull();
    });

    it('refuses the same slug twice in one project', async () => {
      const { project } = await projectWithCheck({ slug: 'nightly' });
      await expect(store.insertCheck(makeCheck(project.id, { slug: 'nightly' }))).rejects.toThrow();
    });

    it('deletes a check together with its pings and flips', async () => {
      const { check } = await projectWithCheck();
      await store.insertPing(makePing(check.id, 1), 100);
      await store.insertFlip({ checkId: check.id, at: T0, from: 'new', to: 'up', reason: 'ping received' });
      expect(await store.deleteCheck(check.id)).toBe(true);
      expect(await store.getCheck(check.id)).toBeNull();
      expect(await store.listPings(check.id, { limit: 10 })).toEqual([]);
      expect(await store.listFlips(check.id, { limit: 10 })).toEqual([]);
      expect(await store.deleteCheck(check.id)).toBe(false);
    });
  });

  describe('listChecks', () => {
    async function seed(tagsBySlug: Record<string, string[]>) {
      const project = makeProject();
      await store.insertProject(project);
      for (const [slug, tags] of Object.entries(tagsBySlug)) {
        await store.insertCheck(makeCheck(project.id, { slug, name: slug, tags }));
      }
      return project;
    }
    const slugs = (r: { checks: Check[] }) => r.checks.map((c) => c.slug);

    it('matches a tag containing _ and % exactly, not as a pattern', async () => {
      const project = await seed({
        underscore: ['a_b'],
        'any-char': ['axb'],
        percent: ['a%b'],
        'any-run': ['aXYZb'],
        longer: ['a_bc'],
      });
      expect(slugs(await store.listChecks(project.id, { tag: 'a_b' }, { limit: 50 }))).toEqual([
        'underscore',
      ]);
      expect(slugs(await store.listChecks(project.id, { tag: 'a%b' }, { limit: 50 }))).toEqual(['percent']);
    });

    it('matches a whole tag, not part of one', async () => {
      const project = await seed({ whole: ['db'], bigger: ['dbx', 'xdb'] });
      expect(slugs(await store.listChecks(project.id, { tag: 'db' }, { limit: 50 }))).toEqual(['whole']);
    });

    it('matches a tag with its exact letter case', async () => {
      const project = await seed({ lower: ['prod'], upper: ['Prod'] });
      expect(slugs(await store.listChecks(project.id, { tag: 'Prod' }, { limit: 50 }))).toEqual(['upper']);
      expect(slugs(await store.listChecks(project.id, { tag: 'prod' }, { limit: 50 }))).toEqual(['lower']);
    });

    it('filters by status', async () => {
      const project = makeProject();
      await store.insertProject(project);
      await store.insertCheck(makeCheck(project.id, { slug: 'is-down', status: 'down' }));
      await store.insertCheck(makeCheck(project.id, { slug: 'is-up', status: 'up' }));
      expect(slugs(await store.listChecks(project.id, { status: 'down' }, { limit: 50 }))).toEqual([
        'is-down',
      ]);
    });

    it('filters by slug', async () => {
      const project = await seed({ one: [], two: [] });
      expect(slugs(await store.listChecks(project.id, { slug: 'two' }, { limit: 50 }))).toEqual(['two']);
    });

    it("never lists another project's checks", async () => {
      const mine = await seed({ mine: ['x'] });
      await seed({ theirs: ['x'] });
      expect(slugs(await store.listChecks(mine.id, {}, { limit: 50 }))).toEqual(['mine']);
    });

    it('pages through 250 checks in name order with no duplicates and no gaps', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];
      // few distinct names, so most page boundaries fall between checks of the same name
      const all: Check[] = [];
      for (let i = 0; i < 250; i++) {
        const check = makeCheck(project.id, { slug: `c-${i}`, name: names[i % names.length]! });
        all.push(check);
        await store.insertCheck(check);
      }
      const seen: Check[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.listChecks(
          project.id,
          {},
          after === undefined ? { limit: 40 } : { limit: 40, after },
        );
        pages++;
        seen.push(...page.checks);
        if (page.next === null) break;
        after = page.next;
      }
      const expected = [...all].sort((a, b) =>
        a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1,
      );
      expect(pages).toBe(7);
      expect(seen.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    });

    it('pages through a filtered list', async () => {
      const project = makeProject();
      await store.insertProject(project);
      for (let i = 0; i < 30; i++) {
        await store.insertCheck(
          makeCheck(project.id, {
            slug: `c-${i}`,
            name: `n-${String(i).padStart(2, '0')}`,
            tags: i % 2 ? ['odd'] : [],
          }),
        );
      }
      const first = await store.listChecks(project.id, { tag: 'odd' }, { limit: 10 });
      expect(first.next).not.toBeNull();
      const second = await store.listChecks(project.id, { tag: 'odd' }, { limit: 10, after: first.next! });
      expect(second.next).toBeNull();
      expect([...first.checks, ...second.checks].map((c) => c.name)).toEqual(
        Array.from({ length: 15 }, (_, k) => `n-${String(2 * k + 1).padStart(2, '0')}`),
      );
    });
  });

  describe('updateCheck', () => {
    it('writes the row when its rev is the one expected', async () => {
      const { check } = await projectWithCheck();
      const next = { ...check, status: 'up' as const, lastPingAt: T0, rev: check.rev + 1 };
      expect(await store.updateCheck(next, check.rev)).toBe(true);
      expect(await store.getCheck(check.id)).toEqual(next);
    });

    it('refuses a write made from a stale rev and leaves the row unchanged', async () => {
      const { check } = await projectWithCheck();
      const first = { ...check, status: 'up' as const, rev: check.rev + 1 };
      expect(await store.updateCheck(first, check.rev)).toBe(true);
      const stale = { ...check, status: 'down' as const, rev: check.rev + 1 };
      expect(await store.updateCheck(stale, check.rev)).toBe(false);
      expect(await store.getCheck(check.id)).toEqual(first);
    });
  });

  describe('deadlines', () => {
    it('returns the checks whose deadline has passed, earliest first, up to the limit', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const at = (slug: string, nextDeadline: number | null) => makeCheck(project.id, { slug, nextDeadline });
      for (const c of [
        at('later', T0 - SECOND),
        at('earliest', T0 - MINUTE),
        at('exactly-now', T0),
        at('future', T0 + 1),
        at('none', null),
      ]) {
        await store.insertCheck(c);
      }
      expect((await store.dueChecks(T0, 10)).map((c) => c.slug)).toEqual([
        'earliest',
        'later',
        'exactly-now',
      ]);
      expect((await store.dueChecks(T0, 2)).map((c) => c.slug)).toEqual(['earliest', 'later']);
    });

    it('knows the earliest deadline, or that there is none', async () => {
      const project = makeProject();
      await store.insertProject(project);
      expect(await store.earliestDeadline()).toBeNull();
      await store.insertCheck(makeCheck(project.id, { nextDeadline: null }));
      expect(await store.earliestDeadline()).toBeNull();
      await store.insertCheck(makeCheck(project.id, { nextDeadline: T0 + 5 * MINUTE }));
      await store.insertCheck(makeCheck(project.id, { nextDeadline: T0 + MINUTE }));
      expect(await store.earliestDeadline()).toBe(T0 + MINUTE);
    });

    it('pages through the checks with a deadline in (from, to] by id', async () => {
      const project = makeProject();
      await store.insertProject(project);
      const inside: string[] = [];
      for (const [i, deadline] of [T0, T0 + 1, T0 + MINUTE, T0 + MINUTE + 1, T0 + 30_000].entries()) {
        const c = makeCheck(project.id, { slug: `c-${i}`, nextDeadline: deadline });
        await store.insertCheck(c);
        if (deadline > T0 && deadline <= T0 + MINUTE) inside.push(c.id);
      }
      const first = await store.checksWithDeadlineBetween(T0, T0 + MINUTE, 2, '');
      const rest = await store.checksWithDeadlineBetween(T0, T0 + MINUTE, 2, first.at(-1)!.id);
      expect(first).toHaveLength(2);
      expect([...first, ...rest].map((c) => c.id)).toEqual([...inside].sort());
    });
  });

  describe('pings', () => {
    it('stores pings under the numbers given, with ids in the order they came', async () => {
      const { check } = await projectWithCheck();
      await store.insertPing(makePing(check.id, 1), 100);
      await store.insertPing(makePing(check.id, 2, { kind: 'exit', exitStatus: 3 }), 100);
      const [second, first] = await store.listPings(check.id, { limit: 10 });
      expect(second!.id).toBeGreaterThan(first!.id);
      expect(second).toEqual({ id: second!.id, ...makePing(check.id, 2, { kind: 'exit', exitStatus: 3 }) });
      expect(await store.lastPing(check.id)).toEqual(second);
    });

    it("keeps only the newest `retention` pings of a check and leaves other checks' pings alone", async () => {
      const { project, check } = await projectWithCheck();
      const other = makeCheck(project.id);
      await store.insertCheck(other);
      await store.insertPing(makePing(other.id, 1), 3);
      for (let n = 1; n <= 5; n++) await store.insertPing(makePing(check.id, n), 3);
      expect((await store.listPings(check.id, { limit: 10 })).map((p) => p.n)).toEqual([5, 4, 3]);
      expect((await store.listPings(other.id, { limit: 10 })).map((p) => p.n)).toEqual([1]);
    });

    it('drops what a lowered retention left behind by the next 256th ping', async () => {
      const { check } = await projectWithCheck();
      for (let n = 1; n <= 255; n++) await store.insertPing(makePing(check.id, n), 1000);
      await store.insertPing(makePing(check.id, 256), 3);
      expect((await store.listPings(check.id, { limit: 10 })).map((p) => p.n)).toEqual([256, 255, 254]);
    });

    it('stores a batch of pings of several checks at once, in order, each check keeping its newest', async () => {
      const { project, check } = await projectWithCheck();
      const other = makeCheck(project.id);
      await store.insertCheck(other);
      // more than one multi-row INSERT holds on any engine, interleaved as a batch would be
      const batch = Array.from({ length: 140 }, (_, i) =>
        makePing(i % 2 ? other.id : check.id, Math.floor(i / 2) + 1, { body: `#${i}` }),
      );
      await store.insertPings(batch, 50);
      const kept = (await store.listPings(check.id, { limit: 100 })).reverse();
      expect(kept.map((p) => p.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 21));
      expect(kept.map(({ id: _id, ...p }) => p)).toEqual(
        batch.filter((p) => p.checkId === check.id).slice(20),
      );
      expect(kept.map((p) => p.id)).toEqual([...kept.map((p) => p.id)].sort((a, b) => a - b));
      expect((await store.listPings(other.id, { limit: 100 })).map((p) => p.n).at(-1)).toBe(21);
    });

    it('drops what a lowered retention left behind when a batch holds a 256th ping', async () => {
      const { check } = await projectWithCheck();
      await store.insertPings(
        Array.from({ length: 250 }, (_, i) => makePing(check.id, i + 1)),
        1000,
      );
      await store.insertPings(
        Array.from({ length: 6 }, (_, i) => makePing(check.id, i + 251)),
        3,
      );
      expect((await store.listPings(check.id, { limit: 10 })).map((p) => p.n)).toEqual([256, 255, 254]);
    });

    it('lists pings newest first and pages by number', async () => {
      const { check } = await projectWithCheck();
      for (let n = 1; n <= 7; n++) await store.insertPing(makePing(check.id, n), 100);
      const first = await store.listPings(check.id, { limit: 3 });
      expect(first.map((p) => p.n)).toEqual([7, 6, 5]);
      const second = await store.listPings(check.id, { limit: 3, after: first.at(-1)!.n });
      expect(second.map((p) => p.n)).toEqual([4, 3, 2]);
      const third = await store.listPings(check.id, { limit: 3, after: second.at(-1)!.n });
      expect(third.map((p) => p.n)).toEqual([1]);
    });

    it('has no last ping for a check never pinged', async () => {
      const { check } = await projectWithCheck();
      expect(await store.lastPing(check.id)).toBeNull();
    });
  });

  describe('flips', () => {
    it('lists flips newest first and pages by id', async () => {
      const { check } = await projectWithCheck();
      const ids: number[] = [];
      for (const [i, to] of (['up', 'late', 'down', 'up'] as const).entries()) {
        ids.push(
          await store.insertFlip({
            checkId: check.id,
            at: T0 + i * MINUTE,
            from: 'new',
            to,
            reason: `r${i}`,
          }),
        );
      }
      const first = await store.listFlips(check.id, { limit: 3 });
      expect(first.map((f) => f.id)).toEqual([ids[3], ids[2], ids[1]]);
      expect(first[0]).toEqual({
        id: ids[3],
        checkId: check.id,
        at: T0 + 3 * MINUTE,
        from: 'new',
        to: 'up',
        reason: 'r3',
        event: null,
        alert: null,
        alertNote: null,
        releaseAt: null,
      });
      const second = await store.listFlips(check.id, { limit: 3, after: first.at(-1)!.id });
      expect(second.map((f) => f.id)).toEqual([ids[0]]);
    });
  });

  describe('channels', () => {
    it('stores, lists, updates and deletes channels of a project', async () => {
      const project = makeProject();
      const other = makeProject();
      await store.insertProject(project);
      await store.insertProject(other);
      const a = makeChannel(project.id, { name: 'a' });
      const b = makeChannel(project.id, { name: 'b', createdAt: T0 + SECOND, events: ['late'] });
      await store.insertChannel(b);
      await store.insertChannel(a);
      await store.insertChannel(makeChannel(other.id));
      expect(await store.getChannel(a.id)).toEqual(a);
      expect((await store.listChannels(project.id)).map((c) => c.id)).toEqual([a.id, b.id]);

      const broken = {
        ...a,
        name: 'renamed',
        brokenReason: 'HTTP 401',
        brokenAt: T0 + MINUTE,
        updatedAt: T0 + MINUTE,
      };
      await store.updateChannel(broken);
      expect(await store.getChannel(a.id)).toEqual(broken);

      expect(await store.deleteChannel(a.id)).toBe(true);
      expect(await store.getChannel(a.id)).toBeNull();
      expect(await store.deleteChannel(a.id)).toBe(false);
    });
  });

  describe('notifications', () => {
    /**
     * `count` rows for one channel, each about a check of its own (one check's rows go out one at
     * a time; see 'per check'). `check` is the first of them.
     */
    async function queued(count = 1, overrides: Parameters<typeof makeNotification>[3] = {}) {
      const { project, check } = await projectWithCheck();
      const channel = makeChannel(project.id);
      await store.insertChannel(channel);
      const rows = [];
      for (let i = 0; i < count; i++) {
        const about = i === 0 ? check : makeCheck(project.id);
        if (i > 0) await store.insertCheck(about);
        const flipId = await store.insertFlip({
          checkId: about.id,
          at: T0,
          from: 'up',
          to: 'down',
          reason: 'x',
        });
        await store.insertNotifications([makeNotification(about, flipId, channel.id, overrides)]);
        rows.push(...(await store.listNotifications(about.id, 100)));
      }
      return { project, check, channel, rows };
    }

    /** A check of `project`, stored. */
    async function anotherCheck(projectId: string): Promise<Check> {
      const check = makeCheck(projectId);
      await store.insertCheck(check);
      return check;
    }

    it('queues one row per flip and channel, and ignores the same pair queued again', async () => {
      const { project, check } = await projectWithCheck();
      const one = makeChannel(project.id);
      const two = makeChannel(project.id);
      await store.insertChannel(one);
      await store.insertChannel(two);
      const flipId = await store.insertFlip({
        checkId: check.id,
        at: T0,
        from: 'up',
        to: 'down',
        reason: 'x',
      });
      const rows = [makeNotification(check, flipId, one.id), makeNotification(check, flipId, two.id)];
      await store.insertNotifications(rows);
      await store.insertNotifications(rows);
      await store.insertNotifications([makeNotification(check, flipId, one.id, { payload: 'other' })]);
      const stored = await store.listNotifications(check.id, 10);
      expect(stored).toHaveLength(2);
      expect(stored.map((n) => n.channelId).sort()).toEqual([one.id, two.id].sort());
      expect(stored.every((n) => n.status === 'pending' && n.attempts === 0 && n.leaseUntil === null)).toBe(
        true,
      );
    });

    it('claims due rows earliest first, up to the limit, leasing them and counting the attempt', async () => {
      const { project, channel } = await queued(0);
      for (const [i, due] of [T0 + 2, T0, T0 + 1, T0 + MINUTE].entries()) {
        await store.insertNotifications([
          makeNotification(await anotherCheck(project.id), 100 + i, channel.id, { nextAttemptAt: due }),
        ]);
      }
      const claimed = await store.claimNotifications(T0 + 10, T0 + MINUTE, 2);
      expect(claimed.map((n) => n.nextAttemptAt)).toEqual([T0, T0 + 1]);
      expect(claimed.every((n) => n.leaseUntil === T0 + MINUTE && n.attempts === 1)).toBe(true);
      const next = await store.claimNotifications(T0 + 10, T0 + MINUTE, 10);
      expect(next.map((n) => n.nextAttemptAt)).toEqual([T0 + 2]);
    });

    it('skips the rows of excluded channels, leaving them unclaimed for a later claim', async () => {
      const { check, channel } = await queued(2);
      const other = makeChannel(check.projectId);
      await store.insertChannel(other);
      for (const i of [0, 1])
        await store.insertNotifications([
          makeNotification(await anotherCheck(check.projectId), 200 + i, other.id, { nextAttemptAt: T0 + 1 }),
        ]);

      const claimed = await store.claimNotifications(T0 + 10, T0 + MINUTE, 10, [
        channel.id,
        'no-such-channel',
      ]);
      expect(claimed.map((n) => n.channelId)).toEqual([other.id, other.id]);
      expect(await store.claimNotifications(T0 + 10, T0 + MINUTE, 10, [channel.id])).toEqual([]);

      // an empty list excludes nothing; the skipped rows were neither leased nor counted
      const rest = await store.claimNotifications(T0 + 10, T0 + MINUTE, 10, []);
      expect(rest.map((n) => n.channelId)).toEqual([channel.id, channel.id]);
      expect(rest.every((n) => n.attempts === 1 && n.leaseUntil === T0 + MINUTE)).toBe(true);
    });

    it('does not claim a row before its next attempt time', async () => {
      await queued(1, { nextAttemptAt: T0 + MINUTE });
      expect(await store.claimNotifications(T0 + MINUTE - 1, T0 + 2 * MINUTE, 10)).toEqual([]);
      expect(await store.claimNotifications(T0 + MINUTE, T0 + 2 * MINUTE, 10)).toHaveLength(1);
    });

    it('does not claim a leased row again before its lease ends, and claims it when it ends', async () => {
      await queued(1);
      const lease = T0 + MINUTE;
      expect(await store.claimNotifications(T0, lease, 10)).toHaveLength(1);
      expect(await store.claimNotifications(T0 + 30 * SECOND, lease + 30 * SECOND, 10)).toEqual([]);
      expect(await store.claimNotifications(lease - 1, lease + MINUTE, 10)).toEqual([]);
      const again = await store.claimNotifications(lease, lease + MINUTE, 10);
      expect(again).toHaveLength(1);
      expect(again[0]!.attempts).toBe(2);
    });

    it("frees its owner's leased rows for the next claim with releaseLeases, and no one else's", async () => {
      await queued(3);
      expect(await store.claimNotifications(T0, T0 + MINUTE, 2, [], 'node-a')).toHaveLength(2);
      expect(await store.claimNotifications(T0, T0 + MINUTE, 10, [], 'node-b')).toHaveLength(1);
      expect(await store.claimNotifications(T0, T0 + MINUTE, 10)).toEqual([]);
      expect(await store.releaseLeases('node-a')).toBe(2);
      const again = await store.claimNotifications(T0, T0 + MINUTE, 10, [], 'node-c');
      expect(again).toHaveLength(2);
      // node-b's row stays leased until its lease ends
      expect(await store.releaseLeases('node-a')).toBe(0);
      expect(await store.claimNotifications(T0 + MINUTE, T0 + 2 * MINUTE, 10)).toHaveLength(3);
    });

    it('knows when the next row falls due, counting a lease as the time it ends', async () => {
      expect(await store.earliestNotificationDue()).toBeNull();
      await queued(1, { nextAttemptAt: T0 + MINUTE });
      expect(await store.earliestNotificationDue()).toBe(T0 + MINUTE);
      await store.claimNotifications(T0 + MINUTE, T0 + 5 * MINUTE, 10);
      expect(await store.earliestNotificationDue()).toBe(T0 + 5 * MINUTE);
    });

    it('marks a row delivered, clears its lease, and never claims it again', async () => {
      const { rows } = await queued(1);
      const [row] = await store.claimNotifications(T0, T0 + MINUTE, 10);
      await store.finishNotification(row!.id, 'delivered', T0 + SECOND, null);
      const [stored] = await store.listNotifications(rows[0]!.checkId, 10);
      expect(stored).toMatchObject({
        status: 'delivered',
        doneAt: T0 + SECOND,
        leaseUntil: null,
        lastError: null,
      });
      expect(await store.claimNotifications(T0 + DAY, T0 + DAY + MINUTE, 10)).toEqual([]);
      expect(await store.earliestNotificationDue()).toBeNull();
    });

    it('marks a row failed with the error', async () => {
      const { check } = await queued(1);
      const [row] = await store.claimNotifications(T0, T0 + MINUTE, 10);
      await store.finishNotification(row!.id, 'failed', T0 + SECOND, 'HTTP 401: bad token');
      const [stored] = await store.listNotifications(check.id, 10);
      expect(stored).toMatchObject({
        status: 'failed',
        doneAt: T0 + SECOND,
        lastError: 'HTTP 401: bad token',
      });
      expect(await store.claimNotifications(T0 + DAY, T0 + DAY + MINUTE, 10)).toEqual([]);
    });

    it('puts a row back for a later attempt with its error, clearing the lease', async () => {
      const { check } = await queued(1);
      const [row] = await store.claimNotifications(T0, T0 + MINUTE, 10);
      await store.retryNotification(row!.id, T0 + 5 * SECOND, 'HTTP 503');
      const [stored] = await store.listNotifications(check.id, 10);
      expect(stored).toMatchObject({
        status: 'pending',
        nextAttemptAt: T0 + 5 * SECOND,
        leaseUntil: null,
        lastError: 'HTTP 503',
        attempts: 1,
      });
      expect(await store.claimNotifications(T0 + 5 * SECOND - 1, T0 + MINUTE, 10)).toEqual([]);
      expect(await store.claimNotifications(T0 + 5 * SECOND, T0 + MINUTE, 10)).toHaveLength(1);
    });

    describe('per check', () => {
      /** One row about `check` for each channel, one flip each call; returns the rows by channel. */
      async function alert(check: Check, channels: string[]): Promise<Map<string, number>> {
        const flipId = await store.insertFlip({
          checkId: check.id,
          at: T0,
          from: 'up',
          to: 'down',
          reason: 'x',
        });
        await store.insertNotifications(channels.map((c) => makeNotification(check, flipId, c)));
        const rows = (await store.listNotifications(check.id, 100)).filter((n) => n.flipId === flipId);
        return new Map(rows.map((n) => [n.channelId, n.id]));
      }

      it("hands a channel one check's rows one at a time, oldest first, whatever became of the one before", async () => {
        const { project, check } = await projectWithCheck();
        const [one, two] = [makeChannel(project.id), makeChannel(project.id)];
        await store.insertChannel(one);
        await store.insertChannel(two);
        const first = await alert(check, [one.id, two.id]);
        const second = await alert(check, [one.id]);
        const third = await alert(check, [one.id]);

        // the oldest for each channel; the later ones wait while it is in flight
        const claimed = await store.claimNotifications(T0, T0 + MINUTE, 10);
        expect(claimed.map((n) => n.id).sort()).toEqual([first.get(one.id), first.get(two.id)].sort());
        expect(await store.claimNotifications(T0 + SECOND, T0 + MINUTE, 10)).toEqual([]);

        // ... and while it waits for its retry, which is when the next one is due
        await store.retryNotification(first.get(one.id)!, T0 + 5 * SECOND, 'HTTP 503');
        await store.finishNotification(first.get(two.id)!, 'delivered', T0, null);
        expect(await store.claimNotifications(T0 + SECOND, T0 + MINUTE, 10)).toEqual([]);
        expect(await store.earliestNotificationDue()).toBe(T0 + 5 * SECOND);

        const again = await store.claimNotifications(T0 + 5 * SECOND, T0 + MINUTE, 10);
        expect(again.map((n) => [n.id, n.attempts])).toEqual([[first.get(one.id), 2]]);
        await store.finishNotification(first.get(one.id)!, 'delivered', T0 + 5 * SECOND, null);
        const next = await store.claimNotifications(T0 + 5 * SECOND, T0 + MINUTE, 10);
        expect(next.map((n) => n.id)).toEqual([second.get(one.id)]);
        // a row that failed for good lets the next one go too
        await store.finishNotification(second.get(one.id)!, 'failed', T0 + 5 * SECOND, 'HTTP 401');
        const last = await store.claimNotifications(T0 + 5 * SECOND, T0 + MINUTE, 10);
        expect(last.map((n) => n.id)).toEqual([third.get(one.id)]);
      });

      it("makes a channel's rows waiting for a retry due at once with retryChannelNow, and no other channel's", async () => {
        const { project, check } = await projectWithCheck();
        const other = await anotherCheck(project.id);
        const [one, two] = [makeChannel(project.id), makeChannel(project.id)];
        await store.insertChannel(one);
        await store.insertChannel(two);
        await alert(check, [one.id, two.id]);
        await alert(other, [one.id]);
        for (const n of await store.claimNotifications(T0, T0 + MINUTE, 10))
          await store.retryNotification(n.id, T0 + 30 * MINUTE, 'HTTP 503');
        await alert(check, [one.id]); // due now, behind the first: not moved, still waiting

        expect(await store.retryChannelNow(one.id, T0 + MINUTE)).toBe(2);
        const due = await store.claimNotifications(T0 + MINUTE, T0 + 2 * MINUTE, 10);
        expect(due.map((n) => [n.checkId, n.channelId]).sort()).toEqual(
          [
            [check.id, one.id],
            [other.id, one.id],
          ].sort(),
        );
        for (const n of due) await store.finishNotification(n.id, 'delivered', T0 + MINUTE, null);
        // the one that waited behind the first goes next, on its first attempt
        const behind = await store.claimNotifications(T0 + MINUTE, T0 + 2 * MINUTE, 10);
        expect(behind.map((n) => [n.checkId, n.channelId, n.attempts])).toEqual([[check.id, one.id, 1]]);
        await store.finishNotification(behind[0]!.id, 'delivered', T0 + MINUTE, null);
        // the other channel's row kept its time
        expect(await store.earliestNotificationDue()).toBe(T0 + 30 * MINUTE);
        expect(await store.retryChannelNow(one.id, T0 + MINUTE)).toBe(0);
      });
    });

    it('records attempts and lists them in order', async () => {
      const { rows } = await queued(1);
      const id = rows[0]!.id;
      await store.recordAttempt({
        notificationId: id,
        at: T0,
        outcome: 'retry',
        error: 'HTTP 500',
        durationMs: 12,
      });
      await store.recordAttempt({
        notificationId: id,
        at: T0 + 5,
        outcome: 'delivered',
        error: null,
        durationMs: 3,
      });
      expect(await store.listAttempts(id)).toEqual([
        { notificationId: id, at: T0, outcome: 'retry', error: 'HTTP 500', durationMs: 12 },
        { notificationId: id, at: T0 + 5, outcome: 'delivered', error: null, durationMs: 3 },
      ]);
    });
  });

  describe('meta', () => {
    it('stores a value, overwrites it, and answers null for an unknown key', async () => {
      expect(await store.getMeta('k')).toBeNull();
      await store.setMeta('k', '1');
      await store.setMeta('k', '2');
      expect(await store.getMeta('k')).toBe('2');
    });
  });

  describe('prune', () => {
    it('removes flips older than the cutoff and keeps the rest', async () => {
      const { check } = await projectWithCheck();
      const old = await store.insertFlip({
        checkId: check.id,
        at: T0 - 1,
        from: 'up',
        to: 'down',
        reason: 'x',
      });
      const kept = await store.insertFlip({ checkId: check.id, at: T0, from: 'down', to: 'up', reason: 'y' });
      expect(await store.prune(T0, 0, 100)).toBe(1);
      const left = (await store.listFlips(check.id, { limit: 10 })).map((f) => f.id);
      expect(left).toEqual([kept]);
      expect(left).not.toContain(old);
    });

    it('removes finished notifications older than their cutoff, with their attempts', async () => {
      const { project, check } = await projectWithCheck();
      const channel = makeChannel(project.id);
      await store.insertChannel(channel);
      await store.insertNotifications([
        makeNotification(check, 1, channel.id),
        makeNotification(check, 2, channel.id),
        makeNotification(check, 3, channel.id),
      ]);
      const [newer, failed, delivered] = await store.listNotifications(check.id, 10);
      await store.finishNotification(delivered!.id, 'delivered', T0 - 1, null);
      await store.finishNotification(failed!.id, 'failed', T0 - 1, 'gave up');
      await store.finishNotification(newer!.id, 'delivered', T0, null);
      await store.recordAttempt({
        notificationId: delivered!.id,
        at: T0 - 1,
        outcome: 'delivered',
        error: null,
        durationMs: 1,
      });
      expect(await store.prune(0, T0, 100)).toBe(2);
      expect((await store.listNotifications(check.id, 10)).map((n) => n.id)).toEqual([newer!.id]);
      expect(await store.listAttempts(delivered!.id)).toEqual([]);
    });

    it('never removes a pending notification, however old', async () => {
      const { project, check } = await projectWithCheck();
      const channel = makeChannel(project.id);
      await store.insertChannel(channel);
      await store.insertNotifications([
        makeNotification(check, 1, channel.id, {
          createdAt: T0 - 1000 * DAY,
          nextAttemptAt: T0 - 1000 * DAY,
        }),
      ]);
      expect(await store.prune(T0, T0, 100)).toBe(0);
      expect(await store.listNotifications(check.id, 10)).toHaveLength(1);
    });

    it('removes at most `limit` rows of each kind per call', async () => {
      const { check } = await projectWithCheck();
      for (let i = 0; i < 5; i++) {
        await store.insertFlip({ checkId: check.id, at: T0 - DAY, from: 'up', to: 'down', reason: 'x' });
      }
      expect(await store.prune(T0, 0, 2)).toBe(2);
      expect(await store.listFlips(check.id, { limit: 10 })).toHaveLength(3);
    });
  });

  describe('transactions', () => {
    it('commits everything the callback wrote and returns its result', async () => {
      const project = makeProject();
      const check = makeCheck(project.id);
      const result = await store.transaction(async (tx) => {
        await tx.insertProject(project);
        await tx.insertCheck(check);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await store.getCheck(check.id)).not.toBeNull();
    });

    it('rolls back everything when the callback throws, and rethrows', async () => {
      const project = makeProject();
      const check = makeCheck(project.id);
      await expect(
        store.transaction(async (tx) => {
          await tx.insertProject(project);
          await tx.insertCheck(check);
          await tx.setMeta('k', 'v');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.getProject(project.id)).toBeNull();
      expect(await store.getCheck(check.id)).toBeNull();
      expect(await store.getMeta('k')).toBeNull();
    });

    it('rolls back the earlier writes when a later statement fails', async () => {
      const { project } = await projectWithCheck({ slug: 'taken' });
      const fresh = makeCheck(project.id, { slug: 'fresh' });
      await expect(
        store.transaction(async (tx) => {
          await tx.insertCheck(fresh);
          await tx.insertCheck(makeCheck(project.id, { slug: 'taken' }));
        }),
      ).rejects.toThrow();
      expect(await store.getCheck(fresh.id)).toBeNull();
    });

    // SQLite serves the process from one connection, so an outside call queues behind an open
    // transaction. PostgreSQL answers it from another pooled connection at once, from the last
    // commit (READ COMMITTED), and so does D1, whose transactions write only when they end: the
    // engines differ here by design, and each has its spec.
    it.runIf(factory.engine === 'sqlite')(
      'makes a call from outside wait for an open transaction, then see what it committed',
      async () => {
        const project = makeProject();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let inserted!: () => void;
        const insertedYet = new Promise<void>((resolve) => {
          inserted = resolve;
        });
        const tx = store.transaction(async (t) => {
          await t.insertProject(project);
          inserted();
          await gate;
        });
        await insertedYet;
        let answered = false;
        const outside = store.getProject(project.id).then((p) => {
          answered = true;
          return p;
        });
        // a full turn of the event loop: an outside call that did not wait would have answered by now
        await new Promise((resolve) => setImmediate(resolve));
        expect(answered).toBe(false);
        release();
        await tx;
        expect(await outside).toEqual(project);
      },
    );

    it.runIf(factory.engine !== 'sqlite')(
      'answers a call from outside at once, from the last commit, while a transaction is open',
      async () => {
        const project = makeProject();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let inserted!: () => void;
        const insertedYet = new Promise<void>((resolve) => {
          inserted = resolve;
        });
        const tx = store.transaction(async (t) => {
          await t.insertProject(project);
          inserted();
          await gate;
        });
        await insertedYet;
        expect(await store.getProject(project.id)).toBeNull();
        release();
        await tx;
        expect(await store.getProject(project.id)).toEqual(project);
      },
    );

    it('never shows an outside caller the rows of a transaction that rolls back', async () => {
      const project = makeProject();
      let fail!: () => void;
      const gate = new Promise<void>((resolve) => {
        fail = resolve;
      });
      let inserted!: () => void;
      const insertedYet = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      const tx = store.transaction(async (t) => {
        await t.insertProject(project);
        inserted();
        await gate;
        throw new Error('changed my mind');
      });
      await insertedYet;
      const outside = store.getProject(project.id);
      fail();
      await expect(tx).rejects.toThrow('changed my mind');
      expect(await outside).toBeNull();
    });
  });
});
