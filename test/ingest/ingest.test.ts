// Group commit: pings submitted together share a transaction, and one bad ping never
// fails its neighbours.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Committed } from '../../src/ingest/commit-transition.ts';
import { Ingestor, type PingOutcome, type PingRequest } from '../../src/ingest/ingest.ts';
import { BASE_URL, createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { makeCheck } from '../store/fixtures.ts';

let h: Harness;
afterEach(() => h.close());

function pingOf(checkId: string, at = T0, overrides: Partial<PingRequest> = {}): PingRequest {
  return {
    target: { checkId },
    kind: 'success',
    runId: null,
    method: 'POST',
    source: '127.0.0.1',
    userAgent: 'curl/8',
    body: null,
    truncated: false,
    at,
    ...overrides,
  };
}

/** An interval check (60 s, grace 30 s) that has never been pinged. */
async function newCheck(): Promise<string> {
  const check = makeCheck(h.project.id);
  await h.store.insertCheck(check);
  return check.id;
}

/** A check whose schedule the state machine cannot compute: any ping to it throws inside the transaction. */
async function brokenCheck(): Promise<string> {
  const check = makeCheck(h.project.id, {
    schedule: { kind: 'cron', expression: 'not a cron pattern', timezone: 'UTC', grace: 60 },
  });
  await h.store.insertCheck(check);
  return check.id;
}

async function storedNumbers(checkId: string): Promise<number[]> {
  return (await h.store.listPings(checkId, { limit: 10_000 })).map((p) => p.n).reverse();
}

describe('group commit', () => {
  beforeEach(async () => {
    h = await createHarness();
  });

  it('commits 200 pings submitted together, numbered 1 to 200 in the order they came', async () => {
    const id = await newCheck();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => h.ingestor.submit(pingOf(id, T0 + i, { body: `#${i + 1}` }))),
    );
    expect(outcomes.every((o) => o.result === 'ok')).toBe(true);

    const pings = (await h.store.listPings(id, { limit: 1000 })).reverse();
    expect(pings.map((p) => p.n)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(pings.every((p) => p.body === `#${p.n}` && p.at === T0 + p.n - 1)).toBe(true);
    expect(await h.store.getCheck(id)).toMatchObject({ pingSeq: 200, lastPingAt: T0 + 199, status: 'up' });
  });

  it("hands each ping's caller the check as it stood after that ping", async () => {
    const id = await newCheck();
    const outcomes = await Promise.all([
      h.ingestor.submit(pingOf(id, T0)),
      h.ingestor.submit(pingOf(id, T0 + 5)),
    ]);
    const seqs = outcomes.map((o) => (o.result === 'ok' ? o.check.pingSeq : null));
    expect(seqs).toEqual([1, 2]);
  });

  it('announces each committed change once', async () => {
    const id = await newCheck();
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.ingestor.submit(pingOf(id, T0 + i))));
    expect(h.committed).toHaveLength(20);
    expect(h.committed.filter((c) => c.flipId !== null)).toHaveLength(1); // new -> up, once
  });

  it('answers not-found for the one ping to an unknown check and commits the rest of its batch', async () => {
    const a = await newCheck();
    const b = await newCheck();
    const outcomes = await Promise.all([
      h.ingestor.submit(pingOf(a)),
      h.ingestor.submit(pingOf(randomUUID())),
      h.ingestor.submit(pingOf(b)),
    ]);
    expect(outcomes.map((o) => o.result)).toEqual(['ok', 'not-found', 'ok']);
    expect(await storedNumbers(a)).toEqual([1]);
    expect(await storedNumbers(b)).toEqual([1]);
  });

  it('answers not-found for a check deleted between submit and flush', async () => {
    const kept = await newCheck();
    const deleted = await newCheck();
    const pending = [h.ingestor.submit(pingOf(kept)), h.ingestor.submit(pingOf(deleted))];
    await h.store.deleteCheck(deleted); // the batch has not been flushed yet
    expect((await Promise.all(pending)).map((o) => o.result)).toEqual(['ok', 'not-found']);
    expect(await storedNumbers(kept)).toEqual([1]);
  });

  it('creates a check for an unknown slug once, however many of its pings share a batch', async () => {
    const target = { pingKey: h.project.pingKey, slug: 'nightly-backup', create: true };
    const outcomes = await Promise.all(
      [0, 1, 2].map((i) => h.ingestor.submit({ ...pingOf('', T0 + i), target })),
    );
    expect(outcomes.map((o) => (o.result === 'ok' ? o.created : o.result))).toEqual([true, false, false]);
    const check = await h.store.getCheckBySlug(h.project.id, 'nightly-backup');
    expect(check?.pingSeq).toBe(3);
  });

  it('answers not-found for an unknown slug without ?create', async () => {
    const target = { pingKey: h.project.pingKey, slug: 'nope', create: false };
    expect(await h.ingestor.submit({ ...pingOf(''), target })).toEqual({ result: 'not-found' });
    expect(await h.store.getCheckBySlug(h.project.id, 'nope')).toBeNull();
  });

  it('resolves drain() once everything submitted so far is committed', async () => {
    const id = await newCheck();
    for (let i = 0; i < 10; i++) void h.ingestor.submit(pingOf(id, T0 + i));
    await h.ingestor.drain();
    expect((await h.store.getCheck(id))?.pingSeq).toBe(10);
  });
});

describe('a ping that fails inside the transaction', () => {
  beforeEach(async () => {
    h = await createHarness();
  });

  it('is rejected on its own while its neighbours in the batch commit', async () => {
    const a = await newCheck();
    const broken = await brokenCheck();
    const b = await newCheck();
    const settled = await Promise.allSettled([
      h.ingestor.submit(pingOf(a, T0)),
      h.ingestor.submit(pingOf(broken, T0)),
      h.ingestor.submit(pingOf(b, T0)),
      h.ingestor.submit(pingOf(a, T0 + 1)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await storedNumbers(a)).toEqual([1, 2]);
    expect(await storedNumbers(b)).toEqual([1]);
    expect(await storedNumbers(broken)).toEqual([]);
    expect((await h.store.getCheck(broken))?.pingSeq).toBe(0);
  });

  it('announces only the neighbours that committed, once each', async () => {
    const a = await newCheck();
    const broken = await brokenCheck();
    await Promise.allSettled([h.ingestor.submit(pingOf(a)), h.ingestor.submit(pingOf(broken))]);
    expect(h.committed.map((c) => c.check.id)).toEqual([a]);
  });
});

describe('retention', () => {
  it('keeps only the newest pings of a check', async () => {
    h = await createHarness({ retention: 5 });
    const id = await newCheck();
    await Promise.all(Array.from({ length: 8 }, (_, i) => h.ingestor.submit(pingOf(id, T0 + i))));
    expect(await storedNumbers(id)).toEqual([4, 5, 6, 7, 8]);
    expect((await h.store.getCheck(id))?.pingSeq).toBe(8);
  });
});

describe('listeners', () => {
  beforeEach(async () => {
    h = await createHarness();
  });

  it('never commits a batch twice when a listener of committed changes throws', async () => {
    const seen: Committed[] = [];
    const ingestor = new Ingestor(h.store, {
      baseUrl: BASE_URL,
      retention: 1000,
      newId: randomUUID,
      onCommitted: (c) => {
        seen.push(c);
        throw new Error('listener bug');
      },
    });
    const id = await newCheck();
    const outcomes: PromiseSettledResult<PingOutcome>[] = await Promise.allSettled(
      [0, 1, 2].map((i) => ingestor.submit(pingOf(id, T0 + i))),
    );
    expect(outcomes.every((o) => o.status === 'fulfilled' && o.value.result === 'ok')).toBe(true);
    await ingestor.drain();
    expect(await storedNumbers(id)).toEqual([1, 2, 3]);
    expect((await h.store.getCheck(id))?.pingSeq).toBe(3);
  });

  it('ignores a GET to a check that takes only POSTs, storing nothing', async () => {
    const check = makeCheck(h.project.id, { methods: 'post' });
    await h.store.insertCheck(check);
    const outcome = await h.ingestor.submit(pingOf(check.id, T0, { method: 'GET' }));
    expect(outcome.result).toBe('ignored');
    expect(await storedNumbers(check.id)).toEqual([]);
    expect((await h.store.getCheck(check.id))?.status).toBe('new');
  });
});
