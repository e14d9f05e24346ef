// Operator alerts about vigil's own database: straight to the operator project's channels from
// memory (the outbox is in the database that refuses writes), retried with backoff until they
// arrive, in order per channel. A real SQLite store, real webhooks on loopback, a ManualClock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { type Clock, ManualClock } from '../../src/scheduler/clock.ts';
import { OPERATOR_CHECK_ID, OperatorAlerts } from '../../src/scheduler/operator-alerts.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { StorageCondition } from '../../src/store/storage-problem.ts';
import { storageProblem } from '../../src/store/storage-problem.ts';
import type { Project, Store } from '../../src/store/store.ts';
import { payloadOf, type Receiver, startReceiver } from '../e2e/receiver.ts';
import { makeChannel, makeProject } from '../store/fixtures.ts';
import { watchSleeps } from './fixtures.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 3, 0);
const MINUTE = 60_000;

let dir: string;
let store: Store;
let clock: ManualClock;
let oldest: Project;
let ops: Project;
let receivers: Receiver[];
let alerts: OperatorAlerts | undefined;

/** a webhook channel of `project` to a fresh receiver */
async function hook(project: Project, broken = false): Promise<Receiver> {
  const receiver = await startReceiver();
  receivers.push(receiver);
  await store.insertChannel(
    makeChannel(project.id, {
      config: { url: receiver.url },
      events: ['late'], // its rule does not matter: the message is about vigil, not a check
      brokenReason: broken ? 'the provider said the token is revoked' : null,
    }),
  );
  return receiver;
}

function operatorAlerts(project: string | null, on: Clock = clock): OperatorAlerts {
  alerts = new OperatorAlerts(store, {
    clock: on,
    logger: pino({ level: 'silent' }),
    http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }),
    baseUrl: 'http://vigil.test',
    project,
    random: () => 0.5,
  });
  return alerts;
}

const diskFull: StorageCondition = {
  problem: storageProblem(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))!,
  since: T0,
  error: 'database or disk is full',
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-operator-'));
  store = await openSqliteStore(join(dir, 'vigil.db'));
  clock = new ManualClock(T0);
  receivers = [];
  oldest = makeProject({ name: 'default', createdAt: T0 - 2 * MINUTE });
  ops = makeProject({ name: 'ops', createdAt: T0 - MINUTE });
  await store.insertProject(oldest);
  await store.insertProject(ops);
});

afterEach(async () => {
  await alerts?.stop();
  alerts = undefined;
  for (const r of receivers) await r.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('operator alerts about the database', () => {
  it('go to every working channel of the oldest project when none is named', async () => {
    const first = await hook(oldest);
    const second = await hook(oldest);
    const broken = await hook(oldest, true);
    const elsewhere = await hook(ops);
    operatorAlerts(null).storageDown(diskFull);

    for (const r of [first, second]) {
      const got = await r.next(() => true, 5000, 'the operator alert');
      expect(got.headers['x-vigil-delivery']).toBe(`storage-${T0.toString(36)}-down`);
      const payload = payloadOf(got);
      expect(payload).toMatchObject({
        event: 'down',
        check: { id: OPERATOR_CHECK_ID, name: "vigil's database", severity: 'critical' },
      });
      expect(payload.flip.reason).toBe(
        'vigil cannot write to its database since 2026-01-05 12:03 UTC: the disk holding the database is full. ' +
          'Pings are refused with 503 (clients are told to send them again) and alerts wait until it can write again. ' +
          'To fix: free space on that disk (or grow it); vigil carries on by itself once writes work (it tries every few seconds).',
      );
    }
    await alerts!.stop();
    expect(broken.requests).toEqual([]);
    expect(elsewhere.requests).toEqual([]);
  });

  it('go to the project VIGIL_OPERATOR_PROJECT names, by name or id', async () => {
    const notThis = await hook(oldest);
    const opsHook = await hook(ops);
    expect((await operatorAlerts('ops').operatorProject())?.id).toBe(ops.id);
    expect((await operatorAlerts(ops.id).operatorProject())?.id).toBe(ops.id);
    alerts!.storageDown(diskFull);
    await opsHook.next(() => true, 5000, 'the operator alert');
    await alerts!.stop();
    expect(notThis.requests).toEqual([]);
  });

  it('retry with backoff until the channel takes them, and the recovery comes after', async () => {
    const receiver = await hook(oldest);
    receiver.setMode({ kind: 'status', status: 503 });
    const sleeps = watchSleeps(clock);
    let slept = sleeps.nextSleep();
    const a = operatorAlerts(null, sleeps);
    a.storageDown(diskFull);
    a.storageUp(diskFull, T0 + 3 * MINUTE);

    // refused three times, retried 2.5 s, 5 s and 10 s later (full jitter at 0.5), then taken
    for (const backoff of [2500, 5000, 10_000]) {
      expect(await slept).toBe(backoff);
      slept = sleeps.nextSleep();
      const seen = receiver.requests.length;
      clock.advance(backoff - 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(receiver.requests).toHaveLength(seen); // not before its backoff
      if (backoff === 10_000) receiver.setMode({ kind: 'ok' });
      clock.advance(1);
    }
    const up = await receiver.next((r) => payloadOf(r).event === 'up', 5000, 'the recovery');
    expect(receiver.requests.map((r) => `${payloadOf(r).event} ${r.answer}`)).toEqual([
      'down 503',
      'down 503',
      'down 503',
      'down 200',
      'up 200',
    ]);
    expect(JSON.parse(up.body).downtime_ms).toBe(3 * MINUTE);
    expect(payloadOf(up).flip.reason).toBe(
      'vigil can write to its database again (it could not from 2026-01-05 12:03 UTC: the disk holding the database is full). ' +
        'Pings are accepted again, and the alerts held meanwhile go out now.',
    );
  });
});
