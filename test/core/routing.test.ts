// Which channels an alert goes to: events, severity range, tag limits, and channels a check names.
import { describe, expect, it } from 'vitest';
import {
  channelsFor,
  explainRoutes,
  type RoutableChannel,
  type RoutableCheck,
  severityRank,
} from '../../src/core/routing.ts';
import { EVENT_KINDS, type EventKind, type Severity } from '../../src/core/types.ts';

type Channel = RoutableChannel & { brokenReason: string | null };

const PROBLEMS: EventKind[] = ['down', 'failed', 'too_long'];

function channel(id: string, rule: Partial<Channel> = {}): Channel {
  return {
    id,
    events: [...PROBLEMS, 'up'],
    minSeverity: 'low',
    maxSeverity: 'critical',
    tags: [],
    brokenReason: null,
    ...rule,
  };
}

function check(severity: Severity, tags: string[] = [], channels: string[] = []): RoutableCheck {
  return { severity, tags, channels };
}

const ids = (event: EventKind, c: RoutableCheck, chs: Channel[]) =>
  channelsFor(event, c, chs).map((ch) => ch.id);

describe('the example routing: critical to Telegram and PagerDuty, the rest to Discord, recoveries to Slack', () => {
  const telegram = channel('telegram', { events: PROBLEMS, minSeverity: 'critical' });
  const pagerduty = channel('pagerduty', { events: [...PROBLEMS, 'up'], minSeverity: 'critical' });
  const discord = channel('discord', { events: PROBLEMS, maxSeverity: 'important' });
  const slack = channel('slack-recoveries', { events: ['up'] });
  const all = [telegram, pagerduty, discord, slack];

  it.each([
    // event, severity, expected channels
    ['down', 'critical', ['telegram', 'pagerduty']],
    ['failed', 'critical', ['telegram', 'pagerduty']],
    ['too_long', 'critical', ['telegram', 'pagerduty']],
    ['down', 'important', ['discord']],
    ['failed', 'low', ['discord']],
    ['late', 'critical', []],
    ['late', 'low', []],
    ['up', 'critical', ['pagerduty', 'slack-recoveries']],
    ['up', 'important', ['slack-recoveries']],
    ['up', 'low', ['slack-recoveries']],
  ] as const)('%s of a %s check goes to %j', (event, severity, expected) => {
    expect(ids(event, check(severity), all)).toEqual(expected);
  });
});

describe('channelsFor', () => {
  it('takes only the events a channel lists; late warnings only where asked for', () => {
    const late = channel('late', { events: ['late'] });
    const plain = channel('plain');
    for (const event of EVENT_KINDS) {
      const expected = [...(event === 'late' ? ['late'] : []), ...(event === 'late' ? [] : ['plain'])];
      expect(ids(event, check('low'), [late, plain])).toEqual(expected);
    }
  });

  it('takes severities from min to max, inclusive at both ends', () => {
    const middle = channel('middle', { minSeverity: 'important', maxSeverity: 'important' });
    expect(ids('down', check('low'), [middle])).toEqual([]);
    expect(ids('down', check('important'), [middle])).toEqual(['middle']);
    expect(ids('down', check('critical'), [middle])).toEqual([]);
  });

  it('limits a channel with tags to checks carrying at least one of them', () => {
    const db = channel('db', { tags: ['db', 'postgres'] });
    expect(ids('down', check('low', ['postgres', 'eu']), [db])).toEqual(['db']);
    expect(ids('down', check('low', ['web']), [db])).toEqual([]);
    expect(ids('down', check('low'), [db])).toEqual([]);
  });

  it('sends to a channel the check names, past its severity and tag limits, but not past its events', () => {
    const narrow = channel('narrow', { events: ['down'], minSeverity: 'critical', tags: ['db'] });
    expect(ids('down', check('low', [], ['narrow']), [narrow])).toEqual(['narrow']);
    expect(ids('up', check('low', [], ['narrow']), [narrow])).toEqual([]);
    expect(ids('down', check('low'), [narrow])).toEqual([]);
  });

  it('keeps a named channel alongside the ones its rules pick', () => {
    const everyone = channel('everyone');
    const named = channel('named', { minSeverity: 'critical' });
    expect(ids('down', check('low', [], ['named']), [everyone, named])).toEqual(['everyone', 'named']);
  });

  it('includes broken channels, so their alerts are queued and failed visibly, not dropped', () => {
    const broken = channel('broken', { brokenReason: 'HTTP 401: invalid token' });
    expect(channelsFor('down', check('low'), [broken])).toEqual([broken]);
  });

  it('returns the channels given, in their order, not copies', () => {
    const a = channel('a');
    const b = channel('b');
    expect(channelsFor('down', check('low'), [b, a])).toEqual([b, a]);
    expect(channelsFor('down', check('low'), [a])[0]).toBe(a);
    expect(channelsFor('down', check('low'), [])).toEqual([]);
  });
});

describe('explainRoutes', () => {
  it('says why each channel does or does not get the alert', () => {
    const routes = explainRoutes('down', check('important', ['web'], ['named']), [
      channel('no-down', { events: ['up'] }),
      channel('too-high', { minSeverity: 'critical' }),
      channel('tagged', { tags: ['db'] }),
      channel('named', { minSeverity: 'critical' }),
      channel('ok', { maxSeverity: 'important', tags: ['web'] }),
    ]);
    expect(routes.map((r) => [r.channel.id, r.routed, r.why])).toEqual([
      ['no-down', false, 'does not take down alerts (takes: up)'],
      ['too-high', false, 'takes severity critical; the check is important'],
      ['tagged', false, 'limited to tags db; the check has none of them'],
      ['named', true, 'named by the check; takes down alerts'],
      ['ok', true, 'takes down alerts of severity important and below for tags web'],
    ]);
  });
});

describe('severityRank', () => {
  it('orders low < important < critical', () => {
    expect(severityRank('low')).toBeLessThan(severityRank('important'));
    expect(severityRank('important')).toBeLessThan(severityRank('critical'));
  });
});
