import { describe, expect, it } from 'vitest';
import { checkFromValues, checkValues, copyCheck } from '../../src/store/rows.ts';
import { makeCheck } from './fixtures.ts';

// copyCheck lists every field (one object shape for every check: see rows.ts). A field added to
// Check but not there would be dropped from each check a ping moves on.
describe('copyCheck', () => {
  const check = makeCheck('p1', {
    tags: ['db'],
    openRuns: { r1: 1 },
    probe: {
      method: 'GET',
      url: 'https://example.com/',
      expectedStatus: ['200'],
      keyword: null,
      keywordMode: 'contains',
      timeout: 10,
      headers: {},
      body: null,
    },
    origin: { sourceId: 's1', sourceKey: '7', details: { command: 'VACUUM' } },
    remindAt: 5,
    archivedAt: 9,
  });

  it('copies every field, and nothing else', () => {
    const copy = copyCheck(check);
    expect(copy).not.toBe(check);
    expect(Object.keys(copy).sort()).toEqual(Object.keys(check).sort());
    expect(copy).toEqual(check);
  });

  it('has the field order of a check read from the database (one shape)', () => {
    const read = checkFromValues(checkValues(check));
    expect(Object.keys(copyCheck(check))).toEqual(Object.keys(read));
  });
});
