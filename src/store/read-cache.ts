import type { Tx } from './store.ts';

/** The reads a sweep repeats for every check of a project, and never writes itself. */
const PER_PROJECT = ['getProject', 'listChannels', 'listMaintenance'] as const;

/**
 * `tx` with the per-project reads remembered for as long as it is used: a sweep that flips
 * 500 checks of one project reads its channels, maintenance windows and settings once, not
 * 500 times. On PostgreSQL each read is a round trip, and round trips are most of what a flip
 * costs there. Only for a transaction that does not change those rows itself.
 */
export function cachedReads(tx: Tx): Tx {
  const memo = new Map<string, Promise<unknown>>();
  const cached: Partial<Record<(typeof PER_PROJECT)[number], (projectId: string) => Promise<unknown>>> = {};
  for (const name of PER_PROJECT) {
    cached[name] = (projectId: string) => {
      const key = `${name} ${projectId}`;
      let hit = memo.get(key);
      if (!hit) {
        hit = (tx[name] as (id: string) => Promise<unknown>).call(tx, projectId);
        memo.set(key, hit);
      }
      return hit;
    };
  }
  return new Proxy(tx, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in cached) return cached[prop as keyof typeof cached];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
