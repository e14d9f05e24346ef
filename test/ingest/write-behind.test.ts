// Group commit keeps a batch's check states and pings in memory and writes them when the batch
// ends (src/ingest/write-behind.ts). Whatever the mix of pings in a batch, the database must
// end up exactly as when each ping commits in a transaction of its own.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Ingestor, type PingOutcome, type PingRequest } from '../../src/ingest/ingest.ts';
import type { Store } from '../../src/store/store.ts';
import { BASE_URL, createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { makeCheck } from '../store/fixtures.ts';

const RETENTION = 5;
const RUN_IDS = [randomUUID(), randomUUID()];

interface PingSpec {
  target: 'a' | 'b' | 'c-create' | 'c' | 'missing';
  kind: 'success' | 'start' | 'fail' | 'log' | 'exit';
  exitStatus: number;
  run: number;
  method: 'GET' | 'POST';
  gapS: number;
}

const pingSpec: fc.Arbitrary<PingSpec> = fc.record({
  target: fc.constantFrom('a', 'b', 'c-create', 'c', 'missing'),
  kind: fc.constantFrom('success', 'start', 'fail', 'log', 'exit'),
  exitStatus: fc.integer({ min: 0, max: 3 }),
  run: fc.integer({ min: -1, max: 1 }),
  method: fc.constantFrom('GET', 'POST'),
  gapS: fc.integer({ min: 0, max: 200 }),
});

/** The same two checks in both databases: `a` takes any method, `b` only POSTs and fails twice before down. */
const CHECK_A = makeCheck('', { slug: 'a' });
const CHECK_B = makeCheck('', { slug: 'b', methods: 'post', failureThreshold: 2 });

function requestsOf(specs: PingSpec[], h: Harness): PingRequest[] {
  let at = T0;
  return specs.map((s, i) => {
    at += s.gapS * 1000;
    const target: PingRequest['target'] =
      s.target === 'a' || s.target === 'b'
        ? { checkId: (s.target === 'a' ? CHECK_A : CHECK_B).id }
        : {
            pingKey: h.project.pingKey,
            slug: s.target === 'missing' ? 'missing' : 'c',
            create: s.target === 'c-create',
          };
    return {
      target,
      kind: s.kind,
      ...(s.kind === 'exit' ? { exitStatus: s.exitStatus } : {}),
      runId: s.run < 0 ? null : RUN_IDS[s.run]!,
      method: s.method,
      source: '127.0.0.1',
      userAgent: 'test',
      body: `#${i}`,
      truncated: false,
      at,
    };
  });
}

/** What a ping's caller is told, without the ids that differ between the two databases. */
function told(o: PingOutcome) {
  if (o.result === 'not-found') return o;
  const { id: _id, projectId: _p, ...check } = o.check;
  return { ...o, check };
}

/** Everything the pings wrote, by check slug, without database ids. */
async function contents(store: Store, projectId: string) {
  const out: Record<string, unknown> = {};
  for (const slug of ['a', 'b', 'c', 'missing']) {
    const check = await store.getCheckBySlug(projectId, slug);
    if (!check) continue;
    const { id, projectId: _p, ...fields } = check;
    const page = { limit: 1000 };
    out[slug] = {
      fields,
      pings: (await store.listPings(id, page)).map(({ id: _i, checkId: _c, ...p }) => p),
      flips: (await store.listFlips(id, page)).map(({ id: _i, checkId: _c, ...f }) => f),
      incidents: (await store.listIncidents([projectId], { checkId: id, limit: 1000 })).map(
        ({ id: _i, projectId: _p, checkId: _c, flipId: _f, ...i }) => i,
      ),
    };
  }
  return out;
}

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function harnessWithChecks(): Promise<Harness> {
  const h = await createHarness({ retention: RETENTION });
  open.push(h);
  for (const c of [CHECK_A, CHECK_B]) await h.store.insertCheck({ ...c, projectId: h.project.id });
  return h;
}

describe('a batch written behind', () => {
  it('leaves the database as one transaction per ping would, whatever the pings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pingSpec, { minLength: 1, maxLength: 30 }), async (specs) => {
        const batched = await harnessWithChecks();
        const alone = await harnessWithChecks();
        const oneByOne = new Ingestor(alone.store, {
          baseUrl: BASE_URL,
          retention: RETENTION,
          newId: randomUUID,
          maxBatch: 1,
          maxInFlight: 1,
        });
        // submitted in one turn: one batch, one transaction
        const together = await Promise.all(requestsOf(specs, batched).map((r) => batched.ingestor.submit(r)));
        const separately: PingOutcome[] = [];
        for (const r of requestsOf(specs, alone)) separately.push(await oneByOne.submit(r));

        expect(together.map(told)).toEqual(separately.map(told));
        expect(await contents(batched.store, batched.project.id)).toEqual(
          await contents(alone.store, alone.project.id),
        );
        await Promise.all(open.splice(0).map((h) => h.close()));
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
