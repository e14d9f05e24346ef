// Spreading probes over their interval: computed slots, not timings.
import { describe, expect, it } from 'vitest';
import { nextProbeAt, probeOffset, stableHash } from '../../src/probes/slots.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const SECOND = 1000;

/** 1,000 check ids as the API makes them, but the same on every run so the spec cannot flake. */
const ids = Array.from({ length: 1000 }, (_, i) => {
  const hex = stableHash(`check-${i}`).toString(16).padStart(14, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 14)}0-8000-${String(i).padStart(12, '0')}`;
});

describe('probe slots', () => {
  it('spread 1,000 checks created at the same moment over the whole interval', () => {
    const slots = ids.map((id) => nextProbeAt(id, 60, T0));
    for (const s of slots) {
      expect(s).toBeGreaterThan(T0);
      expect(s).toBeLessThanOrEqual(T0 + 60 * SECOND);
    }
    // about 17 a second on average; never a crowd in any one second
    const perSecond = new Map<number, number>();
    for (const s of slots) {
      const second = Math.floor((s - T0) / SECOND);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(perSecond.size).toBe(60);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(35);
    // and hardly two in the same millisecond
    expect(new Set(slots).size).toBeGreaterThan(970);
  });

  it('keeps a check on its own grid, a period apart, however late a probe ran', () => {
    const id = ids[7]!;
    const first = nextProbeAt(id, 60, T0);
    expect(nextProbeAt(id, 60, first)).toBe(first + 60 * SECOND);
    // a probe that ran 2.5 periods late goes back to the slot after it, not to a burst of catch-ups
    expect(nextProbeAt(id, 60, first + 150 * SECOND)).toBe(first + 180 * SECOND);
    for (const after of [T0, T0 + 12_345, T0 + 86_400_000]) {
      const slot = nextProbeAt(id, 60, after);
      expect((slot - probeOffset(id, 60)) % (60 * SECOND)).toBe(0);
      expect(slot).toBeGreaterThan(after);
      expect(slot - after).toBeLessThanOrEqual(60 * SECOND);
    }
  });

  it('puts checks that were created one after another on their own slots, not in a queue', () => {
    // created one per 10 ms: their slots follow their ids, not their creation times
    const slots = ids.slice(0, 100).map((id, i) => nextProbeAt(id, 60, T0 + i * 10) - T0);
    const sorted = [...slots].sort((a, b) => a - b);
    expect(sorted).not.toEqual(slots);
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThan(50 * SECOND);
  });

  it('gives every node, and every version, the same slots for a check', () => {
    // pinned: a different hash would move every check's probes at upgrade
    expect(probeOffset('b0a7c3d2-1111-4aaa-8bbb-000000000001', 60)).toBe(30_753);
    expect(Number.isSafeInteger(stableHash('x'.repeat(1000)))).toBe(true);
    // periods longer than 2^32 ms (about 50 days) still use all of them
    const year = 31_536_000;
    expect(Math.max(...ids.map((id) => probeOffset(id, year)))).toBeGreaterThan(2 ** 32);
  });
});
