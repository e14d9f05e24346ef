// Counters, gauges and histograms, and their Prometheus text exposition (format 0.0.4).
// Written here rather than taken from prom-client: vigil needs a few dozen series, and on the
// ping path counting must cost an increment. A labelled family hands out one cell per label
// set; callers look the cell up once and keep it, so nothing is looked up per event.
// Runtime-neutral: no node: imports.

type Kind = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class CounterCell {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeCell {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
}

export class HistogramCell {
  /** per bucket, not cumulative (cumulated when rendered); the last one is +Inf */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** upper bounds, ascending, without +Inf */
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

type Cell = CounterCell | GaugeCell | HistogramCell;

export class Family<C extends Cell> {
  private readonly cells = new Map<string, { values: readonly string[]; cell: C }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
    readonly labelNames: readonly string[],
    private readonly make: () => C,
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames) {
      if (!LABEL.test(l) || l.startsWith('__') || (kind === 'histogram' && l === 'le')) {
        throw new Error(`invalid label name ${l} on ${name}`);
      }
    }
  }

  /** The cell of one label set (values in labelNames' order), made on first use. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join('\u0000');
    let entry = this.cells.get(key);
    if (!entry) {
      entry = { values, cell: this.make() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  entries(): Iterable<{ values: readonly string[]; cell: C }> {
    return this.cells.values();
  }
}

/** Label values may hold anything: backslash, double quote and newline are escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

/** HELP text escapes backslash and newline (a double quote stays). */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (ch) => (ch === '\n' ? '\\n' : '\\\\'));
}

export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export class Registry {
  private readonly families: Family<Cell>[] = [];
  private readonly collectors: (() => void | Promise<void>)[] = [];

  private add<C extends Cell>(family: Family<C>): Family<C> {
    if (this.families.some((f) => f.name === family.name))
      throw new Error(`${family.name} is registered twice`);
    this.families.push(family as unknown as Family<Cell>);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Family<CounterCell> {
    return this.add(new Family(name, help, 'counter', labelNames, () => new CounterCell()));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Family<GaugeCell> {
    return this.add(new Family(name, help, 'gauge', labelNames, () => new GaugeCell()));
  }

  /** `buckets`: upper bounds, ascending; +Inf is added. */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Family<HistogramCell> {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]! > buckets[i - 1]!)) throw new Error(`${name}: buckets must ascend`);
    }
    return this.add(new Family(name, help, 'histogram', labelNames, () => new HistogramCell(buckets)));
  }

  /** Runs before every render: for values read at scrape time (the store, the process). */
  onCollect(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const collect of this.collectors) await collect();
    const out: string[] = [];
    for (const f of this.families) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.kind}`);
      for (const { values, cell } of f.entries()) {
        if (cell instanceof HistogramCell) {
          // Made up front for the hot paths, a labelled histogram would print 17 lines per label
          // set never seen (HTTP status 1xx of pings): a series appears with its first value.
          if (cell.count === 0 && f.labelNames.length > 0) continue;
          out.push(...histogramLines(f.name, f.labelNames, values, cell));
        } else {
          out.push(`${f.name}${labelText(f.labelNames, values)} ${formatValue(cell.value)}`);
        }
      }
    }
    return `${out.join('\n')}\n`;
  }
}

function histogramLines(
  name: string,
  labelNames: readonly string[],
  values: readonly string[],
  cell: HistogramCell,
): string[] {
  const lines: string[] = [];
  const bounds = cell.bounds;
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += cell.counts[i]!;
    const le = formatValue(bounds[i]!);
    lines.push(`${name}_bucket${labelText(labelNames, values, ['le', le])} ${cumulative}`);
  }
  lines.push(`${name}_bucket${labelText(labelNames, values, ['le', '+Inf'])} ${cell.count}`);
  lines.push(`${name}_sum${labelText(labelNames, values)} ${formatValue(cell.sum)}`);
  lines.push(`${name}_count${labelText(labelNames, values)} ${cell.count}`);
  return lines;
}
