// Run durations as a bar chart, drawn on the server as inline SVG: no script, and the strict
// CSP allows it (presentation attributes and classes only, no style attributes).
import type { Ping } from '../../store/store.ts';
import { utcText } from './checks-common.tsx';

export const CHART_RUNS = 50;

const W = 640;
const H = 180;
const LEFT = 64;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 26;
// a few runs should look like a few bars, not like blocks
const MAX_BAR = 24;

/** "850 ms", "12.4 s", "3.5 min", "1.2 h". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A round top for the axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceCeiling(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** `runs` newest first, as the store lists pings; only pings with a duration. */
export function DurationChart({ runs }: { runs: Ping[] }) {
  const bars = runs
    .filter((p) => p.durationMs !== null)
    .slice(0, CHART_RUNS)
    .reverse();
  if (bars.length === 0) {
    return (
      <p class="muted">
        No run durations yet: send <code>/start</code> before a job and its success or failure after it.
      </p>
    );
  }
  const top = niceCeiling(Math.max(...bars.map((p) => p.durationMs!)));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const slot = plotW / bars.length;
  const y = (ms: number) => TOP + plotH - (ms / top) * plotH;
  const first = bars[0]!;
  const last = bars.at(-1)!;
  return (
    <svg
      class="duration-chart"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`Durations of the last ${bars.length} runs, on a scale of 0 to ${formatMs(top)}`}
    >
      <title>{`Durations of the last ${bars.length} runs`}</title>
      {[0, top / 2, top].map((v) => (
        <g>
          <line class="grid" x1={LEFT} x2={W - RIGHT} y1={y(v)} y2={y(v)} />
          <text class="label" x={LEFT - 6} y={y(v) + 4} text-anchor="end">
            {formatMs(v)}
          </text>
        </g>
      ))}
      {bars.map((p, i) => {
        const h = Math.max(1, (p.durationMs! / top) * plotH);
        const w = Math.max(1, Math.min(slot * 0.8, MAX_BAR));
        return (
          <rect
            class={p.kind === 'fail' || (p.kind === 'exit' && p.exitStatus !== 0) ? 'bar fail' : 'bar'}
            x={(LEFT + i * slot + (slot - w) / 2).toFixed(1)}
            y={(TOP + plotH - h).toFixed(1)}
            width={w.toFixed(1)}
            height={h.toFixed(1)}
          >
            <title>{`${utcText(p.at)}: ${formatMs(p.durationMs!)}`}</title>
          </rect>
        );
      })}
      <text class="label" x={LEFT} y={H - 8} text-anchor="start">
        {utcText(first.at)}
      </text>
      <text class="label" x={W - RIGHT} y={H - 8} text-anchor="end">
        {utcText(last.at)}
      </text>
    </svg>
  );
}
