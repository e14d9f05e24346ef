// The exposition format itself: what Prometheus parses, down to escapes and bucket sums.
import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatValue, Registry } from '../../src/metrics/registry.ts';
import { parseExposition } from './parse-exposition.ts';

describe('the metrics registry', () => {
  it('prints HELP and TYPE before the samples of every family', async () => {
    const r = new Registry();
    r.counter('jobs_total', 'Jobs done.', ['queue']).labels('a').inc(3);
    r.gauge('depth', 'Queue depth.').labels().set(7);
    const text = await r.render();
    expect(text).toBe(
      '# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total{queue="a"} 3\n' +
        '# HELP depth Queue depth.\n# TYPE depth gauge\ndepth 7\n',
    );
    expect(parseExposition(text).value('jobs_total', { queue: 'a' })).toBe(3);
  });

  it('escapes backslashes, quotes and newlines in label values, and backslashes and newlines in HELP', async () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const r = new Registry();
    r.counter('odd_total', 'Say "hi"\\now\nthen.', ['v']).labels('a\\b"c\nd').inc();
    const text = await r.render();
    expect(text).toContain('# HELP odd_total Say "hi"\\\\now\\nthen.\n');
    expect(parseExposition(text).value('odd_total', { v: 'a\\b"c\nd' })).toBe(1);
  });

  it('prints cumulative buckets, +Inf equal to the count, and the sum', async () => {
    const r = new Registry();
    const h = r.histogram('took_seconds', 'Time taken.', [], [0.1, 1, 10]).labels();
    for (const v of [0.05, 0.1, 0.5, 2, 20, 30]) h.observe(v);
    const m = parseExposition(await r.render());
    expect(m.find('took_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 2],
      ['1', 3],
      ['10', 4],
      ['+Inf', 6],
    ]);
    expect(m.value('took_seconds_count')).toBe(6);
    expect(m.value('took_seconds_sum')).toBeCloseTo(52.65);
  });

  it('leaves out the label sets of a histogram that saw nothing yet', async () => {
    const r = new Registry();
    const h = r.histogram('req_seconds', 'Requests.', ['code'], [1]);
    h.labels('200').observe(0.5);
    h.labels('500');
    const m = parseExposition(await r.render());
    expect(m.find('req_seconds_count').map((s) => s.labels.code)).toEqual(['200']);
  });

  it('reads values for gauges at scrape time', async () => {
    const r = new Registry();
    const g = r.gauge('now_value', 'A value read when scraped.').labels();
    let n = 0;
    r.onCollect(async () => g.set(++n));
    expect(parseExposition(await r.render()).value('now_value')).toBe(1);
    expect(parseExposition(await r.render()).value('now_value')).toBe(2);
  });

  it('writes infinities and NaN as the format spells them', () => {
    expect([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1.5].map(formatValue)).toEqual([
      '+Inf',
      '-Inf',
      'NaN',
      '1.5',
    ]);
  });

  it('refuses names Prometheus would not accept, and a second family of one name', () => {
    const r = new Registry();
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid metric name/);
    expect(() => r.counter('ok_total', 'x', ['le-x'])).toThrow(/invalid label name/);
    expect(() => r.histogram('h', 'x', ['le'], [1])).toThrow(/invalid label name/);
    expect(() => r.histogram('h2', 'x', [], [2, 1])).toThrow(/ascend/);
    r.counter('twice_total', 'x');
    expect(() => r.counter('twice_total', 'x')).toThrow(/twice/);
  });
});
