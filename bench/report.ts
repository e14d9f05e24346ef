// Small helpers shared by the benchmarks: percentiles, number formatting, markdown tables
// and a line describing the machine.
import { cpus, loadavg, release, totalmem } from 'node:os';

/** Nearest-rank percentile of `sorted` (ascending); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Spread {
  p50: number;
  p99: number;
  max: number;
  min: number;
}

/** p50, p99, max and min of `values` (sorted in place); NaN when empty. */
export function spread(values: number[]): Spread {
  values.sort((a, b) => a - b);
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.at(-1) ?? Number.NaN,
    min: values[0] ?? Number.NaN,
  };
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(a: number, b: number): string {
  return b === 0 || !Number.isFinite(a / b) ? 'n/a' : (a / b).toFixed(2);
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machineLine(): string {
  const cpu = cpus();
  const gib = (totalmem() / 1024 ** 3).toFixed(1);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `Node ${process.version}, ${process.platform} ${release()}, ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} cores, ${gib} GiB RAM, load average at start ${load}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
