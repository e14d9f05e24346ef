// What every alert says, decided once for all channels, and the text helpers channels cut with.
import { describe, expect, it } from 'vitest';
import {
  codeBlock,
  commonMarkCodeBlock,
  describeAlert,
  escapeHtml,
  plainText,
  tail,
  truncate,
} from '../../src/notifiers/message.ts';
import { samplePayload } from './payloads.ts';

describe('describeAlert', () => {
  it.each([
    ['down', '"nightly-backup" is DOWN', 'problem', '#d93f0b'],
    ['failed', '"nightly-backup" is DOWN: run failed', 'problem', '#d93f0b'],
    ['too_long', '"nightly-backup" is DOWN: run took too long', 'problem', '#d93f0b'],
    ['late', '"nightly-backup" is LATE', 'warning', '#e3b341'],
    ['up', '"nightly-backup" is back UP', 'recovery', '#2ea043'],
  ] as const)('titles a %s alert "%s" in the %s tone', (event, title, tone, color) => {
    const m = describeAlert(samplePayload(event));
    expect(m).toMatchObject({ title, tone, color, colorInt: Number.parseInt(color.slice(1), 16) });
  });

  it('says why, for which project, how long since the last ping, and links to the check', () => {
    const m = describeAlert(samplePayload('down'));
    expect(m.summary).toBe('expected a ping every 1 hour; last ping 1 hour 5 minutes ago');
    expect(m.facts).toEqual([
      { label: 'Project', value: 'ops' },
      { label: 'Severity', value: 'critical' },
      { label: 'Schedule', value: 'every 1 hour' },
      { label: 'Last ping', value: '1 hour 5 minutes ago' },
    ]);
    expect(m.link).toBe('https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23');
  });

  it('says how long a recovered check was down', () => {
    expect(describeAlert(samplePayload('up')).facts.at(-1)).toEqual({
      label: 'Down for',
      value: '1 hour 5 minutes',
    });
  });

  it('says "never" for a check that never pinged', () => {
    const p = samplePayload('down');
    p.check.last_ping_at = null;
    expect(describeAlert(p).facts.find((f) => f.label === 'Last ping')?.value).toBe('never');
  });

  it('numbers reminders and says since when the check is down', () => {
    const m = describeAlert(samplePayload('down', { reminder: 3 }));
    expect(m.title).toBe('Reminder #3: "nightly-backup" is still DOWN');
    expect(m.facts.at(-1)).toEqual({ label: 'Down since', value: '2026-03-01T10:05:00.000Z' });
  });

  it('marks test alerts', () => {
    expect(describeAlert(samplePayload('down', { test: true })).title).toBe(
      'Test alert: "nightly-backup" is DOWN',
    );
  });

  it('keeps the end of a long ping body, and none for a blank one', () => {
    const body = `${'x'.repeat(5000)}THE END`;
    const m = describeAlert(samplePayload('failed', { last_ping_body: body }));
    expect(m.bodyTail).toHaveLength(1000);
    expect(m.bodyTail!.endsWith('THE END')).toBe(true);
    expect(describeAlert(samplePayload('failed', { last_ping_body: '  \n ' })).bodyTail).toBeNull();
  });
});

describe('plainText', () => {
  it('lays out title, reason, facts, body tail and link', () => {
    expect(plainText(describeAlert(samplePayload('failed')))).toBe(
      [
        '"nightly-backup" is DOWN: run failed',
        'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        '',
        'Project: ops',
        'Severity: critical',
        'Schedule: every 1 hour',
        'Last ping: 1 hour 5 minutes ago',
        '',
        'Last ping body (tail):',
        'pg_dump: error: connection to server failed <&> "quoted"',
        '',
        'https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23',
      ].join('\n'),
    );
  });
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('truncate and tail', () => {
  it('cut to the limit with an ellipsis, and leave short text alone', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(tail('abcdef', 4)).toBe('…def');
    expect(tail('abc', 4)).toBe('abc');
  });

  it('never split an emoji (a surrogate pair) in half', () => {
    const text = 'ab😀cd';
    // 'ab' + high surrogate would be the first 3 units
    expect(truncate(text, 4)).toBe('ab…');
    expect(truncate(text, 5)).toBe('ab😀…');
    // the last 3 units start with the low surrogate
    expect(tail(text, 4)).toBe('…cd');
    expect(tail(text, 5)).toBe('…😀cd');
    for (const cut of [truncate(text, 4), tail(text, 4), tail(text, 5)]) {
      expect(cut).not.toMatch(LONE_SURROGATE);
    }
  });
});

describe('code blocks', () => {
  it('keep a ``` inside from closing the block early', () => {
    const block = codeBlock('done\n```\n@channel');
    expect(block.startsWith('```\n')).toBe(true);
    expect(block.endsWith('\n```')).toBe(true);
    expect(block.slice(3, -3)).not.toContain('```');
  });

  it('for CommonMark, fence with more backticks than the text holds, keeping it exact', () => {
    expect(commonMarkCodeBlock('a ```` b')).toBe('`````\na ```` b\n`````');
    expect(commonMarkCodeBlock('plain')).toBe('```\nplain\n```');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in elements and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
