// Reading a client's own clock (src/ingest/client-time.ts): what counts as a time, and what not.
import { describe, expect, it } from 'vitest';
import { parseClientTime } from '../../src/ingest/client-time.ts';

const T = Date.UTC(2026, 0, 5, 12, 0, 0);

describe('parseClientTime', () => {
  it('reads Unix seconds, with or without a fraction, as numbers or digits', () => {
    expect(parseClientTime(T / 1000)).toBe(T);
    expect(parseClientTime(String(T / 1000))).toBe(T);
    expect(parseClientTime(`${T / 1000}.25`)).toBe(T + 250);
    expect(parseClientTime(' 1767614400 ')).toBe(T);
  });

  it('reads Unix milliseconds', () => {
    expect(parseClientTime(T + 7)).toBe(T + 7);
    expect(parseClientTime(String(T + 7))).toBe(T + 7);
  });

  it('reads RFC 3339 with Z or an offset, and a space for the T', () => {
    expect(parseClientTime('2026-01-05T12:00:00Z')).toBe(T);
    expect(parseClientTime('2026-01-05T12:00:00.5Z')).toBe(T + 500);
    expect(parseClientTime('2026-01-05T07:00:00-05:00')).toBe(T);
    expect(parseClientTime('2026-01-05 12:00:00Z')).toBe(T);
  });

  it('keeps a time however far off it is (the skew shows it)', () => {
    expect(parseClientTime(0)).toBe(0);
    expect(parseClientTime('1999-12-31T23:59:59Z')).toBe(Date.UTC(1999, 11, 31, 23, 59, 59));
    expect(parseClientTime('9999-12-31T23:59:59Z')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
  });

  it('is null for what is no time', () => {
    for (const v of [
      null,
      undefined,
      '',
      'now',
      '-1',
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e300,
      '1e10',
      '0x10',
      '2026-01-05',
      '2026-01-05T12:00:00',
      '2026-02-30T12:00:00Z',
      '2026-01-05T25:00:00Z',
      `${'9'.repeat(17)}`,
      '1'.repeat(41),
    ]) {
      expect(parseClientTime(v as string | number | null | undefined), String(v)).toBeNull();
    }
  });
});
