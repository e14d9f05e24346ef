// The strip of a check's recent results: a success, a failure, or pings that never came,
// oldest on the left. Start and log pings are not results and do not show.
import type { FlipRow, PingOutcome, Store } from '../../store/store.ts';
import { utcText } from './checks-common.tsx';

export const STRIP_SIZE = 30;

export interface StripMark {
  at: number;
  kind: 'ok' | 'fail' | 'missed';
  label: string;
}

function pingMark(p: PingOutcome): StripMark | null {
  if (p.kind === 'success') return { at: p.at, kind: 'ok', label: 'success' };
  if (p.kind === 'fail') return { at: p.at, kind: 'fail', label: 'failure' };
  if (p.kind === 'exit') {
    return p.exitStatus === 0
      ? { at: p.at, kind: 'ok', label: 'exit status 0' }
      : { at: p.at, kind: 'fail', label: `exit status ${p.exitStatus ?? '?'}` };
  }
  return null;
}

/**
 * The newest `size` results, oldest first: pings that report an outcome, and the flips to
 * down for missed pings (event "down") between them. Inputs may come in any order.
 */
export function stripMarks(
  pings: readonly PingOutcome[],
  flips: readonly FlipRow[],
  size = STRIP_SIZE,
): StripMark[] {
  const marks: StripMark[] = [];
  for (const p of pings) {
    const mark = pingMark(p);
    if (mark) marks.push(mark);
  }
  for (const f of flips) {
    if (f.event === 'down') marks.push({ at: f.at, kind: 'missed', label: `missed: ${f.reason}` });
  }
  marks.sort((a, b) => b.at - a.at);
  return marks.slice(0, size).reverse();
}

/**
 * Reads enough history for a full strip. Pings are read two per result, as a job that sends
 * /start before each success shows half its pings; flips to down are rarer than pings.
 */
export async function loadStrip(store: Store, checkId: string): Promise<StripMark[]> {
  const [pings, flips] = await Promise.all([
    store.listPingOutcomes(checkId, STRIP_SIZE * 2),
    store.listFlips(checkId, { limit: STRIP_SIZE }),
  ]);
  return stripMarks(pings, flips);
}

export function Strip({ marks }: { marks: StripMark[] }) {
  if (marks.length === 0) return <span class="muted">no results yet</span>;
  const count = (kind: StripMark['kind']) => marks.filter((m) => m.kind === kind).length;
  const summary = `last ${marks.length}: ${count('ok')} ok, ${count('fail')} failed, ${count('missed')} missed`;
  return (
    <span class="strip" role="img" aria-label={summary} title={summary}>
      {marks.map((m) => (
        <span class={m.kind} title={`${utcText(m.at)}: ${m.label}`}></span>
      ))}
    </span>
  );
}
