// kill -9 in the middle of heavy ping load on SQLite, then a restart on the same file: every
// ping whose 200 reached its client is in the history, the file passes integrity_check, and
// the alerts that were committed but not yet delivered go out after the restart, once each.
//
// 20 clients with keep-alive connections ping 50 checks as fast as vigil answers, each ping
// carrying a body of its own so it can be found again. 5 of the checks get /fail pings: they go
// down, and their alerts wait in the outbox behind a webhook receiver that never answers, so
// they are still undelivered when vigil dies.
import { Agent, request as httpRequest } from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadOf, type Receiver, startReceiver } from './receiver.ts';
import {
  apiClient,
  restartVigil,
  startVigil,
  tempDir,
  type VigilProcess,
  waitFor,
} from './server-process.ts';

const CLIENTS = 20;
const CHECKS = 50;
const DOOMED = 5;
/** how long the load runs before the kill */
const LOAD_MS = 2000;

interface Acked {
  checkId: string;
  body: string;
}

/** POSTs `body` and resolves with the status as soon as the answer's head arrives. */
function post(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      agent,
      headers: { 'Content-Length': Buffer.byteLength(body) },
    });
    req.once('response', (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('kill -9 under ping load', () => {
  const tmp = tempDir();
  const dbPath = `${tmp.dir}/vigil.db`;
  let vigil: VigilProcess | undefined;
  let receiver: Receiver | undefined;

  beforeAll(async () => {
    receiver = await startReceiver({ kind: 'hang' });
    vigil = await startVigil({
      dbPath,
      // the load is ours: no rate limit, and no ping pruned before it is looked for
      env: {
        VIGIL_RATE_LIMIT_PING: 'off',
        VIGIL_RATE_LIMIT_PING_ADDRESS: 'off',
        VIGIL_PING_RETENTION: '1000000',
      },
    });
  });

  afterAll(async () => {
    await vigil?.stop();
    await receiver?.close();
    tmp.remove();
  });

  it('keeps every acknowledged ping and delivers the pending alerts after a restart', async () => {
    const first = vigil!;
    const hooks = receiver!;
    const api = apiClient(first.url, first.bootstrap!.key);
    expect(
      (await api('POST', '/channels', { kind: 'webhook', name: 'ops', config: { url: hooks.url } })).status,
    ).toBe(201);
    const checks: { id: string; ping_url: string; doomed: boolean }[] = [];
    for (let i = 0; i < CHECKS; i++) {
      const res = await api<{ id: string; ping_url: string }>('POST', '/checks', {
        name: `job ${i}`,
        schedule: { kind: 'interval', period: 3600, grace: 3600 },
      });
      expect(res.status).toBe(201);
      checks.push({ ...res.body, doomed: i < DOOMED });
    }

    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const acked: Acked[] = [];
    let sent = 0;
    let failed = 0;
    const client = async (n: number) => {
      for (let i = 0; ; i++) {
        const check = checks[(n * 7 + i) % CHECKS]!;
        const body = `client ${n} ping ${i}`;
        sent++;
        try {
          const status = await post(agent, check.doomed ? `${check.ping_url}/fail` : check.ping_url, body);
          if (status !== 200) throw new Error(`status ${status}`);
          acked.push({ checkId: check.id, body });
        } catch {
          failed++; // vigil is gone: this client stops
          return;
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    await new Promise((r) => setTimeout(r, LOAD_MS));
    const before = acked.length;
    const exit = await first.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(clients);
    agent.destroy();
    console.info(
      `${acked.length} pings acknowledged (${before} when the kill was sent), ${sent} sent, ${failed} cut off by the kill`,
    );
    expect(acked.length).toBeGreaterThan(100);

    // What the crash left on disk, read as it is, before vigil touches the file again.
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    let stored: Set<string>;
    let downFlips: { check_id: string; id: number }[];
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      stored = new Set(
        (db.prepare('SELECT check_id, body FROM pings').all() as { check_id: string; body: string }[]).map(
          (p) => `${p.check_id} ${p.body}`,
        ),
      );
      downFlips = db.prepare("SELECT id, check_id FROM flips WHERE to_status = 'down'").all() as {
        check_id: string;
        id: number;
      }[];
    } finally {
      db.close();
    }
    const lost = acked.filter((a) => !stored.has(`${a.checkId} ${a.body}`));
    expect(lost).toEqual([]);
    console.info(
      `${stored.size} pings stored: ${stored.size - acked.length} of them were in flight at the kill`,
    );

    // Every doomed check had an acknowledged /fail ping, so its down flip and alert committed.
    const doomed = checks.filter((c) => c.doomed).map((c) => c.id);
    const pingedDoomed = doomed.filter((id) => acked.some((a) => a.checkId === id));
    expect(new Set(downFlips.map((f) => f.check_id))).toEqual(new Set(pingedDoomed));
    const undelivered = hooks.requests.filter((r) => r.answer === 200);
    expect(undelivered).toEqual([]);

    hooks.setMode({ kind: 'ok' });
    const second = await restartVigil(first);
    vigil = second;
    const delivered = await waitFor(
      'every down alert delivered after the restart',
      () => {
        const ok = hooks.requests.filter((r) => r.answer === 200);
        const about = new Set(ok.map((r) => payloadOf(r).check.id));
        return pingedDoomed.every((id) => about.has(id)) ? ok : false;
      },
      { timeoutMs: 15_000 },
    );
    // once each, whether it was in flight at the kill or still waiting its turn
    await new Promise((r) => setTimeout(r, 1000));
    const byDelivery = new Map<string, number>();
    for (const r of hooks.requests.filter((q) => q.answer === 200)) {
      const id = String(r.headers['x-vigil-delivery']);
      byDelivery.set(id, (byDelivery.get(id) ?? 0) + 1);
    }
    expect([...byDelivery.values()].every((n) => n === 1)).toBe(true);
    expect(delivered.map((r) => payloadOf(r).event).every((e) => e === 'failed' || e === 'down')).toBe(true);
    console.info(
      `${hooks.requests.filter((r) => r.answer === 'hung').length} alerts were in flight at the kill; ${byDelivery.size} delivered after the restart`,
    );
    await second.kill('SIGTERM');
    const after = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      after.close();
    }
  }, 60_000);
});
