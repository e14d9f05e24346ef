// A strict reader of the Prometheus text format for the specs: it throws on any line the
// format does not allow, and checks what a scraper relies on (a TYPE before every sample,
// histogram buckets that only grow, +Inf equal to _count).
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
  /** the value of the one sample with this name and (at least) these labels; throws if not one */
  value(name: string, labels?: Record<string, string>): number;
  /** every sample of `name` matching `labels` */
  find(name: string, labels?: Record<string, string>): Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) || Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

/** The family a sample belongs to: histogram samples carry a suffix. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m && types.get(m[1]!) === 'histogram' ? m[1] : undefined;
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!m) throw new Error(`bad HELP line: ${line}`);
      helps.set(m[1]!, m[2]!);
    } else if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!)) {
        throw new Error(`bad type in: ${line}`);
      }
      if (types.has(name!)) throw new Error(`second TYPE for ${name}`);
      types.set(name!, type!);
    } else {
      const m = SAMPLE.exec(line);
      if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
      const sample = {
        name: m[1]!,
        labels: m[2] ? parseLabels(m[2], line) : {},
        value: parseValue(m[3]!, line),
      };
      if (!familyOf(sample.name, types)) throw new Error(`sample before its TYPE: ${line}`);
      samples.push(sample);
    }
  }
  checkHistograms(types, samples);
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    types,
    helps,
    samples,
    find,
    value(name, labels = {}) {
      const found = find(name, labels);
      if (found.length !== 1) {
        throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}, expected one`);
      }
      return found[0]!.value;
    },
  };
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    const keyOf = (labels: Record<string, string>) =>
      JSON.stringify(
        Object.entries(labels)
          .filter(([k]) => k !== 'le')
          .sort(),
      );
    for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
      const key = keyOf(s.labels);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      let previous = -1;
      let previousLe = Number.NEGATIVE_INFINITY;
      for (const b of buckets) {
        const le = parseValue(b.labels.le!, `le of ${name}`);
        if (!(le > previousLe)) throw new Error(`${name} ${key}: buckets out of order`);
        if (b.value < previous) throw new Error(`${name} ${key}: bucket counts fall`);
        previous = b.value;
        previousLe = le;
      }
      if (previousLe !== Number.POSITIVE_INFINITY) throw new Error(`${name} ${key}: no +Inf bucket`);
      const count = samples.find((s) => s.name === `${name}_count` && keyOf(s.labels) === key);
      const sum = samples.find((s) => s.name === `${name}_sum` && keyOf(s.labels) === key);
      if (!count || !sum) throw new Error(`${name} ${key}: no _count or _sum`);
      if (count.value !== previous)
        throw new Error(`${name} ${key}: +Inf is ${previous}, _count ${count.value}`);
    }
  }
}
