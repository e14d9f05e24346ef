// kill -9 with alerts committed but not delivered, then a restart on the same database: each
// alert arrives exactly once, and vigil's own outage does not raise false alarms.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notifiers/webhook.ts';
import { payloadOf, type Received, type Receiver, startReceiver } from './receiver.ts';
import {
  apiClient,
  restartVigil,
  startVigil,
  tempDir,
  type VigilProcess,
  waitFor,
} from './server-process.ts';

interface NotificationRow {
  id: number;
  channel_id: string;
  check_id: string;
  event: string;
  status: string;
  attempts: number;
  lease_until: number | null;
  next_attempt_at: number;
}

/** Reads the outbox straight from the SQLite file (there is no API for it), read-only. */
function outbox(dbPath: string, checkId: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT * FROM notifications WHERE check_id = ? ORDER BY id')
      .all(checkId) as NotificationRow[];
    const attempts = db
      .prepare(
        `SELECT notification_id, outcome, error FROM notification_attempts
         WHERE notification_id IN (SELECT id FROM notifications WHERE check_id = ?) ORDER BY id`,
      )
      .all(checkId) as { notification_id: number; outcome: string; error: string | null }[];
    return rows.map((n) => ({
      ...n,
      id: Number(n.id),
      lease_until: n.lease_until === null ? null : Number(n.lease_until),
      recorded: attempts.filter((a) => Number(a.notification_id) === Number(n.id)),
    }));
  } finally {
    db.close();
  }
}

const deliveryOf = (id: number) => (r: Received) =>
  String(r.headers['x-vigil-delivery']).startsWith(`${id}-`);

describe('crash between commit and delivery', () => {
  const tmp = tempDir();
  const dbPath = `${tmp.dir}/vigil.db`;
  let vigil: VigilProcess | undefined;
  /** answers 503 until the crash: its alert is attempted, fails, and waits for a retry */
  let refusing: Receiver | undefined;
  /** never answers until the crash: its alert is in flight (leased) when vigil dies */
  let hanging: Receiver | undefined;
  let stopJob: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    refusing = await startReceiver({ kind: 'status', status: 503 });
    hanging = await startReceiver({ kind: 'hang' });
    vigil = await startVigil({ dbPath });
  });

  afterAll(async () => {
    await stopJob?.();
    await vigil?.stop();
    await refusing?.close();
    await hanging?.close();
    tmp.remove();
  });

  it('delivers each committed alert exactly once after kill -9, and gives healthy checks a fresh grace', async () => {
    const first = vigil!;
    const api = apiClient(first.url, first.bootstrap!.key);
    const secrets = new Map<string, string>();
    const channelIds = new Map<string, string>();
    for (const [name, receiver] of [
      ['refusing', refusing!],
      ['hanging', hanging!],
    ] as const) {
      const ch = await api<{ id: string; config: { secret: string } }>('POST', '/channels', {
        kind: 'webhook',
        name,
        config: { url: receiver.url },
      });
      expect(ch.status).toBe(201);
      secrets.set(name, ch.body.config.secret);
      channelIds.set(name, ch.body.id);
    }
    const create = async (name: string, period: number, grace: number) => {
      const res = await api<{ id: string; ping_url: string }>('POST', '/checks', {
        name,
        schedule: { kind: 'interval', period, grace },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    const doomed = await create('doomed', 1, 1);
    // pinged once just before the kill; its deadline is far away
    const steady = await create('steady', 30, 30);
    // a job that keeps pinging every 300 ms; its deadline falls inside vigil's outage
    const job = await create('job', 1, 2);

    let lastJobPing = 0;
    let jobRunning = true;
    const jobLoop = (async () => {
      while (jobRunning) {
        try {
          const res = await fetch(job.ping_url, { signal: AbortSignal.timeout(2000) });
          if (res.status === 200) lastJobPing = Date.now();
        } catch {
          // vigil is down: the job's pings are lost, as in real life
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    stopJob = async () => {
      jobRunning = false;
      await jobLoop;
    };

    expect((await fetch(doomed.ping_url)).status).toBe(200);
    expect((await fetch(steady.ping_url)).status).toBe(200);

    // doomed goes down 2 s after its ping: one notification per channel, neither delivered.
    const [failedRow, inFlightRow] = await waitFor(
      'one alert attempted and refused, the other in flight',
      () => {
        const rows = outbox(dbPath, doomed.id);
        if (rows.length !== 2) return false;
        const attempted = rows.find((r) => r.channel_id === channelIds.get('refusing'));
        const leased = rows.find((r) => r.channel_id === channelIds.get('hanging'));
        // the refused row is settled once its retry is scheduled (its lease dropped), not when
        // the attempt alone is recorded: the two are separate writes
        const settled = attempted?.recorded.length && attempted.lease_until === null;
        return settled && leased?.lease_until ? ([attempted, leased] as const) : false;
      },
      { timeoutMs: 10_000 },
    );
    expect(failedRow).toMatchObject({ event: 'down', status: 'pending', lease_until: null });
    expect(failedRow.attempts).toBeGreaterThanOrEqual(1);
    expect(failedRow.recorded[0]).toMatchObject({ outcome: 'retry' });
    expect(failedRow.recorded[0]!.error).toContain('503');
    expect(inFlightRow).toMatchObject({ event: 'down', status: 'pending', attempts: 1 });
    // the hanging receiver holds the request open: the delivery is in flight right now
    await hanging!.next(deliveryOf(inFlightRow.id), 5000, 'in-flight delivery');
    expect(refusing!.requests.filter(deliveryOf(failedRow.id)).every((r) => r.answer === 503)).toBe(true);

    // The healthy checks report in just before vigil dies.
    expect(lastJobPing).toBeGreaterThan(0);
    expect((await fetch(steady.ping_url)).status).toBe(200);
    const killedAt = Date.now();
    const exit = await first.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');

    const afterKill = outbox(dbPath, doomed.id);
    expect(afterKill.map((r) => r.status)).toEqual(['pending', 'pending']);
    refusing!.setMode({ kind: 'ok' });
    hanging!.setMode({ kind: 'ok' });

    // Stay down long enough that the job's deadline (last ping + 1 s, down 2 s later) passes
    // inside the outage: without a fresh grace, the restart would call it down at once.
    await waitFor('the job to be overdue', () => Date.now() >= lastJobPing + 3200, { timeoutMs: 10_000 });
    const second = await restartVigil(first);
    vigil = second;
    console.info(
      `vigil was down for ${Date.now() - killedAt} ms; last job ping ${Date.now() - lastJobPing} ms ago`,
    );
    expect(second.bootstrap).toBeNull();

    const restarted = Date.now();
    const [afterRetry, afterLease] = await Promise.all([
      refusing!.next((r) => deliveryOf(failedRow.id)(r) && r.answer === 200, 20_000, 'retried delivery'),
      hanging!.next((r) => deliveryOf(inFlightRow.id)(r) && r.answer === 200, 20_000, 're-sent delivery'),
    ]);
    console.info(
      `after restart: retried alert in ${afterRetry.at - restarted} ms, in-flight alert in ${afterLease.at - restarted} ms`,
    );
    for (const [received, secret] of [
      [afterRetry, secrets.get('refusing')!],
      [afterLease, secrets.get('hanging')!],
    ] as const) {
      expect(payloadOf(received)).toMatchObject({ event: 'down', check: { id: doomed.id } });
      expect(
        await verifySignature(secret, received.body, received.headers['x-vigil-signature'] as string),
      ).toBe(true);
    }

    // Nothing is sent twice: no further delivery of either row in the next 2 s.
    await new Promise((r) => setTimeout(r, 2000));
    const delivered = (rs: Receiver, id: number) =>
      rs.requests.filter((r) => deliveryOf(id)(r) && r.answer === 200);
    expect(delivered(refusing!, failedRow.id)).toHaveLength(1);
    expect(delivered(hanging!, inFlightRow.id)).toHaveLength(1);
    const final = outbox(dbPath, doomed.id);
    expect(final.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    for (const row of final) expect(row.recorded.filter((a) => a.outcome === 'delivered')).toHaveLength(1);

    // No false alarms from the outage: neither healthy check went down or alerted.
    const others = new Set([steady.id, job.id]);
    const about = [...refusing!.requests, ...hanging!.requests].filter((r) =>
      others.has(payloadOf(r).check.id),
    );
    expect(about.map((r) => payloadOf(r).check.name)).toEqual([]);
    const api2 = apiClient(second.url, first.bootstrap!.key);
    for (const check of [steady, job]) {
      const flips = await api2<{ flips: { to: string }[] }>('GET', `/checks/${check.id}/flips`);
      expect(flips.body.flips.map((f) => f.to)).not.toContain('down');
      const now = await api2<{ status: string }>('GET', `/checks/${check.id}`);
      expect(now.body.status).toBe('up');
    }
    expect(second.logs().find((l) => l.msg === 'gave starved deadlines a fresh grace')).toBeDefined();
  });
});
