// Two probers on one database (two nodes) share the due probes: each check is probed once per
// round, by one of them. SQLite: two probers on the one store; PostgreSQL: two stores (nodes)
// on one database.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { createCheck } from '../../src/ingest/check-changes.ts';
import { Ingestor } from '../../src/ingest/ingest.ts';
import { Prober } from '../../src/probes/prober.ts';
import { createProject } from '../../src/projects/keys.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshPostgresDatabase, postgresAvailable, storeFactories, T0 } from '../store/fixtures.ts';
import { startTarget, type Target } from './target.ts';

const CHECKS = 40;
const PERIOD = 60;

interface Nodes {
  stores: [Store, Store];
  dispose(): Promise<void>;
}

const setups: { engine: string; open(): Promise<Nodes> }[] = [
  {
    engine: 'sqlite (two probers, one store)',
    async open() {
      const opened = await storeFactories[0]!.open();
      return { stores: [opened.store, opened.store], dispose: opened.dispose };
    },
  },
  ...(postgresAvailable
    ? [
        {
          engine: 'postgres (two nodes, one database)',
          async open(): Promise<Nodes> {
            const db = await freshPostgresDatabase();
            const a = await openPostgresStore(db.url, { max: 4 });
            const b = await openPostgresStore(db.url, { max: 4 });
            return {
              stores: [a, b],
              async dispose() {
                await a.close();
                await b.close();
                await db.drop();
              },
            };
          },
        },
      ]
    : []),
];

describe.each(setups)('probe claims on $engine', (setup) => {
  let nodes: Nodes;
  let target: Target;
  afterEach(async () => {
    await target.close();
    await nodes.dispose();
  });

  it('probes every due check once per round, each by one node', async () => {
    nodes = await setup.open();
    target = await startTarget();
    const clock = new ManualClock(T0);
    const [storeA, storeB] = nodes.stores;
    const project = await storeA.transaction((tx) => createProject(tx, 'main', T0, systemActor('test')));
    for (let i = 0; i < CHECKS; i++) {
      await storeA.transaction((tx) =>
        createCheck(
          tx,
          project.id,
          {
            name: `site ${i}`,
            kind: 'http',
            probe: {
              method: 'GET',
              url: `${target.url}/check/${i}`,
              expectedStatus: ['200-299'],
              keyword: null,
              keywordMode: 'contains',
              timeout: 5,
              headers: {},
              body: null,
            },
            schedule: { kind: 'interval', period: PERIOD, grace: 30 },
          },
          { id: randomUUID(), now: T0 },
          systemActor('test'),
        ),
      );
    }
    const prober = (store: Store) =>
      new Prober(store, {
        clock,
        ingestor: new Ingestor(store, { baseUrl: 'http://vigil.test', retention: 100, newId: randomUUID }),
        logger: pino({ level: 'silent' }),
        allowPrivateAddresses: true,
        // small batches, so the two nodes take turns claiming within a round
        concurrency: 3,
      });
    const a = prober(storeA);
    const b = prober(storeB);

    for (let round = 1; round <= 2; round++) {
      clock.set(T0 + round * PERIOD * 1000);
      const probedBy = { a: [] as string[], b: [] as string[] };
      // both nodes claim at the same time, batch after batch, until nothing is due
      await Promise.all(
        (['a', 'b'] as const).map(async (name) => {
          const node = name === 'a' ? a : b;
          for (;;) {
            const events = await node.probeDue(clock.now(), 3);
            if (events.length === 0) break;
            probedBy[name].push(...events.map((e) => e.checkId));
          }
        }),
      );
      const all = [...probedBy.a, ...probedBy.b];
      expect(all).toHaveLength(CHECKS);
      expect(new Set(all).size).toBe(CHECKS);
      expect(probedBy.a.length).toBeGreaterThan(0);
      expect(probedBy.b.length).toBeGreaterThan(0);
      for (let i = 0; i < CHECKS; i++) expect(target.hits.get(`/check/${i}`)).toBe(round);
    }
    await a.stop();
    await b.stop();
  });
});
