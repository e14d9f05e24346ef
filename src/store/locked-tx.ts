import type { Tx } from './store.ts';

/**
 * The Tx methods of `tx`, each run through `exclusive` so a call from outside a
 * transaction waits for any transaction in progress instead of landing inside it.
 */
export function lockedTx(tx: Tx, exclusive: <T>(fn: () => Promise<T>) => Promise<T>): Tx {
  const out: Record<string, unknown> = {};
  const source = tx as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(tx))) {
    const method = source[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    out[name] = (...args: unknown[]) => exclusive(() => method.apply(tx, args));
  }
  return out as unknown as Tx;
}
