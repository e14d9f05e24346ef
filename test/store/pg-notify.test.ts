// LISTEN/NOTIFY between nodes, on a real PostgreSQL database: two clusters stand for two
// nodes. Skipped (loudly, see fixtures.ts) without PostgreSQL, failed with VIGIL_REQUIRE_POSTGRES.
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/events/bus.ts';
import type { Cluster, ClusterMessage } from '../../src/store/cluster.ts';
import { APP_NAME, MAX_PAYLOAD_BYTES, openPgCluster } from '../../src/store/postgres/pg-notify.ts';
import { freshPostgresDatabase, postgresAvailable } from './fixtures.ts';

/** Resolves with the first `count` messages `cluster` hears; rejects after `ms`. */
function hear(cluster: Cluster, count: number, ms = 5000): Promise<ClusterMessage[]> {
  const got: ClusterMessage[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`heard ${got.length} of ${count} messages within ${ms} ms`));
    }, ms);
    const stop = cluster.listen((m) => {
      got.push(m);
      if (got.length < count) return;
      clearTimeout(timer);
      stop();
      resolve(got);
    });
  });
}

/** Collects what `cluster` hears from now on. */
function record(cluster: Cluster): ClusterMessage[] {
  const got: ClusterMessage[] = [];
  cluster.listen((m) => got.push(m));
  return got;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function event(i: number, size = 100): Omit<LiveEvent, 'id'> {
  return {
    type: 'ping',
    projectId: 'p',
    checkId: `c-${i}`,
    at: i,
    data: { n: i, note: 'é'.repeat(size / 2) },
  };
}

describe.skipIf(!postgresAvailable)('LISTEN/NOTIFY between nodes', () => {
  let db: { url: string; drop(): Promise<void> };
  const opened: Cluster[] = [];
  const errors: string[] = [];

  async function node(): Promise<Cluster> {
    const c = await openPgCluster(db.url, {
      onError: (err, what) => errors.push(`${what}: ${err.message}`),
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
    });
    opened.push(c);
    return c;
  }

  beforeEach(async () => {
    db = await freshPostgresDatabase();
    errors.length = 0;
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close();
    await db.drop();
  });

  it("carries one node's message to every other node, and not back to the sender", async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const echoed = record(a);
    const atB = hear(b, 1);
    const atC = hear(c, 1);
    a.send({ kind: 'event', event: event(1) });
    expect(await atB).toEqual([{ kind: 'event', event: event(1) }]);
    expect(await atC).toEqual([{ kind: 'event', event: event(1) }]);
    await pause(100);
    expect(echoed).toEqual([]);
  });

  it('packs a burst of events into payloads under the 8000-byte limit, all delivered in order', async () => {
    const [a, b] = [await node(), await node()];
    // a raw listener on the same channel sees the payloads as PostgreSQL carries them
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    const payloads: string[] = [];
    raw.on('notification', (n) => payloads.push(n.payload ?? ''));
    await raw.query('LISTEN vigil');
    try {
      const heard = hear(b, 500);
      for (let i = 0; i < 500; i++) a.send({ kind: 'event', event: event(i, 120) });
      const got = await heard;
      expect(got.map((m) => (m.kind === 'event' ? m.event.at : -1))).toEqual(
        Array.from({ length: 500 }, (_, i) => i),
      );
      await pause(100);
      expect(payloads.length).toBeGreaterThan(1);
      expect(payloads.length).toBeLessThan(50);
      for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    } finally {
      await raw.end();
    }
  });

  it('drops a single message too large for a NOTIFY, says so, and sends the rest', async () => {
    const [a, b] = [await node(), await node()];
    const heard = hear(b, 1);
    a.send({ kind: 'event', event: event(1, 9000) });
    a.send({ kind: 'event', event: event(2) });
    expect(await heard).toEqual([{ kind: 'event', event: event(2) }]);
    expect(errors.join('\n')).toMatch(/message dropped: a event message of \d+ bytes does not fit/);
  });

  it('folds the wake-ups of one turn into one: the earliest deadline, and one "queued"', async () => {
    const [a, b] = [await node(), await node()];
    const got = record(b);
    a.send({ kind: 'deadline', at: 3000 });
    a.send({ kind: 'queued' });
    a.send({ kind: 'deadline', at: 1000 });
    a.send({ kind: 'queued' });
    a.send({ kind: 'deadline', at: 2000 });
    await hear(b, 2);
    await pause(100);
    expect(got).toEqual([{ kind: 'queued' }, { kind: 'deadline', at: 1000 }]);
  });

  it('listens again by itself after its connection is killed', async () => {
    const [a, b] = [await node(), await node()];
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
        [APP_NAME],
      );
      expect(killed.rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    // both notice, and listen again; then a message goes through as before
    await expect
      .poll(() => errors.filter((e) => e.includes('reconnecting')).length, { timeout: 5000 })
      .toBe(2);
    await expect.poll(() => a.connected && b.connected, { timeout: 5000 }).toBe(true);
    const heard = hear(b, 1);
    a.send({ kind: 'queued' });
    expect(await heard).toEqual([{ kind: 'queued' }]);
  });
});
