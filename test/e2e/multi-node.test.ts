// Three vigil processes on one PostgreSQL database, with nodes dying mid-work. 300 checks are
// pinged through all three nodes (a ping to a dead node is sent to the next, as a load
// balancer would); a third stop. While their deadlines pass, the node caught holding the
// sweep's claim is killed -9, then a node caught delivering their alerts to a slow receiver;
// both come back (one under its old node id, one under a new one). Every down alert and every
// recovery must arrive exactly once, and every ping answered 200 must be in the history.
// Skipped (loudly) without PostgreSQL; failed when VIGIL_REQUIRE_POSTGRES is set.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase, postgresAvailable } from '../store/fixtures.ts';
import {
  apiClient,
  restartVigil,
  startVigil,
  tempDir,
  type VigilProcess,
  waitFor,
} from './server-process.ts';

const CHECKS = 300;
const CHANNELS = 5;
/**
 * Checks pinged every second, with room for a machine that stalls the pinger for seconds
 * (restarting nodes compete for two cores with everything else): they must never go down.
 */
const ROOMY = { kind: 'interval', period: 10, grace: 10 };
/** the third that stops is switched to this first: late 2 s after its last ping, down 2 s later */
const SHORT = { kind: 'interval', period: 2, grace: 2 };
const PING_EVERY_MS = 1000;
const SLOW_MS = 600;

interface Delivery {
  channel: number;
  deliveryId: string;
  checkId: string;
  flipId: number;
  event: string;
  /** answered 200 while the sender was still connected */
  completed: boolean;
}

/** A webhook receiver for CHANNELS channels (`/ch/<n>`) that answers 200, after SLOW_MS when slow. */
async function startCountingReceiver() {
  const deliveries: Delivery[] = [];
  let slow = false;
  let holding = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const d: Delivery = {
        channel: Number(/\/ch\/(\d+)/.exec(req.url ?? '')?.[1]),
        deliveryId: String(req.headers['x-vigil-delivery']),
        checkId: body.check.id,
        flipId: body.flip.id,
        event: body.event,
        completed: false,
      };
      deliveries.push(d);
      let gone = false;
      res.on('close', () => {
        gone = true;
      });
      const answer = () => {
        holding--;
        // a sender killed while we held its request never hears the answer: not delivered
        if (gone || req.socket.destroyed) return;
        res.end('ok');
        d.completed = true;
      };
      holding++;
      if (slow) setTimeout(answer, SLOW_MS);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (channel: number) => `http://127.0.0.1:${port}/ch/${channel}`,
    deliveries,
    setSlow: (on: boolean) => {
      slow = on;
    },
    holding: () => holding,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!postgresAvailable)('three nodes on one PostgreSQL, two killed mid-work', () => {
  const tmp = tempDir();
  let db: { url: string; drop(): Promise<void> } | undefined;
  let sql: pg.Client | undefined;
  let receiver: Awaited<ReturnType<typeof startCountingReceiver>> | undefined;
  const nodes: (VigilProcess | undefined)[] = [];
  let stopPinging: (() => Promise<void>) | undefined;

  const env = (id: string) => ({
    VIGIL_DATABASE_URL: db!.url,
    VIGIL_NODE_ID: id,
    VIGIL_DELIVERY_TIMEOUT: '2',
    VIGIL_DB_POOL_SIZE: '5',
  });

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    receiver = await startCountingReceiver();
    // the first alone, so it bootstraps the project and prints its key; then the other two
    nodes[0] = await startVigil({ dbPath: `${tmp.dir}/unused`, env: env('node-1') });
    [nodes[1], nodes[2]] = await Promise.all(
      ['node-2', 'node-3'].map((id) => startVigil({ dbPath: `${tmp.dir}/unused`, env: env(id) })),
    );
  }, 60_000);

  afterAll(async () => {
    await stopPinging?.();
    for (const n of nodes) await n?.stop();
    await receiver?.close();
    await sql?.end();
    await db?.drop();
    tmp.remove();
  });

  /** which of `nodes` runs under a node id */
  const indexOf = (nodeId: string) => nodes.findIndex((n) => n?.env.VIGIL_NODE_ID === nodeId);

  /** What the database and the receiver say, for a failure message. */
  async function state(doomed: Set<string>): Promise<string> {
    const statuses = await rows<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM checks WHERE id = ANY($1::text[]) GROUP BY status',
      [[...doomed]],
    );
    const claims = await rows(
      'SELECT claimed_by, claim_until, count(*)::int AS n FROM checks WHERE claimed_by IS NOT NULL GROUP BY 1, 2',
    );
    const outbox = await rows(
      `SELECT event, status, lease_owner, lease_until, attempts, last_error, count(*)::int AS n
       FROM notifications GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY n DESC LIMIT 20`,
    );
    const paths = await rows(
      `SELECT id = ANY($1::text[]) AS doomed, path, count(*)::int AS n FROM (
         SELECT c.id, string_agg(f.from_status || '>' || f.to_status, ' ' ORDER BY f.id) AS path
         FROM checks c LEFT JOIN flips f ON f.check_id = c.id GROUP BY c.id) x
       GROUP BY 1, 2 ORDER BY 3 DESC`,
      [[...doomed]],
    );
    const firstLate = await rows(
      "SELECT min(f.at) - $2::bigint AS ms, count(*)::int AS n FROM flips f WHERE f.to_status IN ('late', 'down') AND NOT (f.check_id = ANY($1::text[]))",
      [[...doomed], (globalThis as { __t0?: number }).__t0 ?? 0],
    );
    const timeline = (globalThis as { __timeline?: string[] }).__timeline;
    const alive = nodes.map((n) => `${n?.env.VIGIL_NODE_ID}: ${n?.running() ? 'up' : 'down'}`);
    const errors = nodes.flatMap((n) =>
      n
        ? n
            .logs()
            .filter((l) => l.level >= 50)
            .slice(-5)
        : [],
    );
    return JSON.stringify(
      {
        timeline,
        firstLate,
        alive,
        statuses,
        paths,
        claims,
        outbox,
        deliveries: receiver!.deliveries.length,
        errors,
      },
      null,
      1,
    );
  }

  const rows = async <T extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await sql!.query<T>(text, values)).rows;

  it('delivers every down alert and every recovery exactly once, and keeps every acknowledged ping', async () => {
    const api = apiClient(nodes[0]!.url, nodes[0]!.bootstrap!.key);
    for (let i = 0; i < CHANNELS; i++) {
      const ch = await api('POST', '/channels', {
        kind: 'webhook',
        name: `hook ${i}`,
        config: { url: receiver!.url(i) },
        events: ['down', 'up'],
        tags: [`g${i}`],
      });
      expect(ch.status).toBe(201);
    }
    const ids: string[] = [];
    for (let i = 0; i < CHECKS; i += 30) {
      const made = await Promise.all(
        Array.from({ length: 30 }, (_, j) =>
          api<{ id: string }>('POST', '/checks', {
            name: `job ${i + j}`,
            schedule: ROOMY,
            tags: [`g${(i + j) % CHANNELS}`],
          }),
        ),
      );
      for (const m of made) {
        expect(m.status).toBe(201);
        ids.push(m.body.id);
      }
    }
    const doomed = new Set(ids.filter((_, i) => i % 3 === 0));
    const reschedule = async (which: Set<string>, schedule: typeof SHORT) => {
      const all = [...which];
      for (let i = 0; i < all.length; i += 25) {
        const res = await Promise.all(
          all.slice(i, i + 25).map((id) => api('PATCH', `/checks/${id}`, { schedule })),
        );
        for (const r of res) expect(r.status).toBe(200);
      }
    };

    // The pinger: every check every PING_EVERY_MS, through the nodes in turn; a node that does
    // not answer 200 is skipped for the next, as a load balancer would.
    const active = new Set(ids);
    const acked: string[] = [];
    let seq = 0;
    let turn = 0;
    const pingOnce = async (id: string) => {
      const body = `p-${++seq}`;
      for (let attempt = 0; attempt < 3; attempt++) {
        const node = nodes[turn++ % nodes.length];
        if (!node?.running()) continue;
        try {
          const res = await fetch(`${node.url}/ping/${id}`, {
            method: 'POST',
            body,
            signal: AbortSignal.timeout(3000),
          });
          await res.text();
          if (res.status === 200) {
            acked.push(`${id} ${body}`);
            return;
          }
        } catch {
          // the node died under us: the next one
        }
      }
    };
    const pingAll = async (which: string[]) => {
      for (let i = 0; i < which.length; i += 50) await Promise.all(which.slice(i, i + 50).map(pingOnce));
    };
    let pinging = true;
    const t0 = Date.now();
    (globalThis as { __t0?: number }).__t0 = t0;
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${Date.now() - t0} ${what}`);
    (globalThis as { __timeline?: string[] }).__timeline = timeline;
    const pinger = (async () => {
      while (pinging) {
        const started = Date.now();
        await pingAll([...active]);
        if (Date.now() - started > 1000) mark(`slow round ${Date.now() - started} ms`);
        await new Promise((r) => setTimeout(r, Math.max(0, PING_EVERY_MS - (Date.now() - started))));
      }
    })();
    stopPinging = async () => {
      pinging = false;
      await pinger;
    };

    await waitFor(
      'every check to be up',
      async () => (await rows("SELECT count(*)::int AS n FROM checks WHERE status = 'up'"))[0]!.n === CHECKS,
      { timeoutMs: 15_000 },
    );

    // A third stop pinging, all after one last ping together: their deadlines pass together,
    // so one sweep claims them all, and that node is killed while it holds the claim.
    for (const id of doomed) active.delete(id);
    await reschedule(doomed, SHORT);
    await Promise.all([...doomed].map(pingOnce));
    const [x, sweepClaims] = await waitFor(
      'a node to claim the late checks',
      async () => {
        const held = await rows<{ by: string; n: number }>(
          'SELECT claimed_by AS by, count(*)::int AS n FROM checks WHERE claimed_by IS NOT NULL GROUP BY claimed_by ORDER BY n DESC',
        );
        const top = held[0];
        return top ? ([indexOf(top.by), top.n] as const) : false;
      },
      { timeoutMs: 15_000, intervalMs: 2 },
    );
    await nodes[x]!.kill('SIGKILL');
    mark('killed x');
    const orphanedClaims = await rows<{ n: number }>(
      'SELECT count(*)::int AS n FROM checks WHERE claimed_by = $1',
      [`node-${x + 1}`],
    );
    console.info(`killed node-${x + 1} holding ${sweepClaims} sweep claims (${orphanedClaims[0]!.n} left)`);
    expect(orphanedClaims[0]!.n).toBeGreaterThan(0);

    // The other nodes take the late checks over once the claim ends; their down alerts go to
    // a slow receiver, and a node delivering them is killed with requests in flight.
    receiver!.setSlow(true);
    const [y, leased] = await waitFor(
      'another node to be delivering down alerts',
      async () => {
        if (receiver!.holding() === 0) return false;
        const held = await rows<{ owner: string; n: number }>(
          `SELECT lease_owner AS owner, count(*)::int AS n FROM notifications
           WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_owner <> $1
           GROUP BY lease_owner ORDER BY n DESC`,
          [`node-${x + 1}`],
        );
        const top = held[0];
        return top ? ([indexOf(top.owner), top.n] as const) : false;
      },
      { timeoutMs: 30_000, intervalMs: 2 },
    );
    await nodes[y]!.kill('SIGKILL');
    mark('killed y');
    const inFlight = await rows<{ id: string }>(
      "SELECT id::text FROM notifications WHERE status = 'pending' AND lease_owner = $1",
      [`node-${y + 1}`],
    );
    console.info(`killed node-${y + 1} leasing ${leased} deliveries (${inFlight.length} left in flight)`);
    expect(inFlight.length).toBeGreaterThan(0);

    // node x comes back under its own id: it frees only what it held, not node y's leases
    nodes[x] = await restartVigil(nodes[x]!);
    mark('x back');
    const stillLeased = await rows<{ n: number }>(
      "SELECT count(*)::int AS n FROM notifications WHERE status = 'pending' AND lease_owner = $1",
      [`node-${y + 1}`],
    );
    expect(stillLeased[0]!.n).toBeGreaterThan(0);
    // node y comes back as a new node: its old leases run out, and someone delivers them
    nodes[y] = await restartVigil(nodes[y]!, { VIGIL_NODE_ID: `node-${y + 1}b` });
    mark('y back');
    receiver!.setSlow(false);

    const delivered = (event: string) => {
      const once = new Map<string, Set<string>>();
      for (const d of receiver!.deliveries) {
        if (!d.completed || d.event !== event) continue;
        const ids = once.get(d.checkId) ?? new Set<string>();
        ids.add(d.deliveryId);
        once.set(d.checkId, ids);
      }
      return once;
    };
    const everyDoomed = (event: string) => {
      const got = delivered(event);
      return [...doomed].every((id) => got.has(id));
    };
    await waitFor('every down alert', () => everyDoomed('down'), {
      timeoutMs: 40_000,
      intervalMs: 200,
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await state(doomed)}`);
    });

    // They report in again, at the relaxed pace of the rest (a slow machine must not make
    // them late again): one recovery each.
    await reschedule(doomed, ROOMY);
    for (const id of doomed) active.add(id);
    await waitFor('every recovery', () => everyDoomed('up'), {
      timeoutMs: 20_000,
      intervalMs: 200,
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await state(doomed)}`);
    });
    await stopPinging();
    await waitFor(
      'the outbox to be empty',
      async () =>
        (await rows("SELECT count(*)::int AS n FROM notifications WHERE status = 'pending'"))[0]!.n === 0,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await new Promise((r) => setTimeout(r, 500)); // anything sent twice would arrive by now

    // Exactly once: per check and event, one flip and one notification row (one delivery id);
    // a row re-sent at all must be one a killed node had in flight (its receiver never
    // answered it, or answered as the node died).
    const wasInFlight = new Set(inFlight.map((r) => r.id));
    for (const event of ['down', 'up']) {
      const byCheck = delivered(event);
      expect([...byCheck.keys()].sort(), `${event} alerts`).toEqual([...doomed].sort());
      for (const [checkId, deliveryIds] of byCheck) {
        const flipIds = receiver!.deliveries.filter((d) => d.checkId === checkId && d.event === event);
        expect([...deliveryIds], `${event} of ${checkId}: ${JSON.stringify(flipIds)}`).toHaveLength(1);
      }
    }
    const completedById = new Map<string, number>();
    for (const d of receiver!.deliveries)
      if (d.completed) completedById.set(d.deliveryId, (completedById.get(d.deliveryId) ?? 0) + 1);
    const resent = [...completedById].filter(([, n]) => n > 1).map(([id]) => id.split('-')[0]!);
    console.info(
      `${receiver!.deliveries.length} requests, ${completedById.size} alerts, ${resent.length} answered twice`,
    );
    for (const id of resent) expect(wasInFlight.has(id), `notification ${id} sent twice`).toBe(true);
    // every alert went to its own channel only
    for (const d of receiver!.deliveries) {
      expect(d.channel).toBe(ids.indexOf(d.checkId) % CHANNELS);
    }

    const flips = await rows<{ check_id: string; path: string }>(
      `SELECT check_id, string_agg(from_status || '>' || to_status, ' ' ORDER BY id) AS path
       FROM flips GROUP BY check_id`,
    );
    expect(flips).toHaveLength(CHECKS);
    for (const f of flips) {
      // A slow machine may stall the pinger long enough for a check to go late (no alert);
      // a doomed check goes down once and comes back once, a healthy one never goes down.
      const downs = f.path.split(' ').filter((step) => step.endsWith('>down'));
      if (doomed.has(f.check_id)) {
        expect(downs, f.path).toHaveLength(1);
        expect(f.path, f.check_id).toContain(' down>up');
      } else expect(downs, f.path).toEqual([]);
    }

    // Every ping answered 200 is in the history, whichever node took it.
    const stored = new Set(
      (await rows<{ k: string }>("SELECT check_id || ' ' || body AS k FROM pings")).map((r) => r.k),
    );
    const missing = acked.filter((k) => !stored.has(k));
    console.info(`${acked.length} pings answered 200; ${missing.length} missing`);
    expect(missing).toEqual([]);
  }, 120_000);
});
