// Which channels a flip's event goes to: by the channel's events only.
import { describe, expect, it } from 'vitest';
import { channelsFor, type RoutableChannel } from '../../src/core/routing.ts';
import type { EventKind } from '../../src/core/types.ts';

type Channel = RoutableChannel & { brokenReason: string | null };

const channel = (id: string, events: EventKind[], brokenReason: string | null = null): Channel => ({
  id,
  events,
  brokenReason,
});

const all = channel('all', ['down', 'up', 'late']);
const downOnly = channel('down-only', ['down']);
const upAndLate = channel('up-and-late', ['up', 'late']);
const none = channel('none', []);
const broken = channel('broken', ['down', 'up'], 'HTTP 401: invalid token');
const channels = [all, downOnly, upAndLate, none, broken];

describe('channelsFor', () => {
  it.each([
    ['down', ['all', 'down-only', 'broken']],
    ['up', ['all', 'up-and-late', 'broken']],
    ['late', ['all', 'up-and-late']],
  ] as const)('routes %s to the channels that list it, in their order', (event, ids) => {
    expect(channelsFor(event, channels).map((c) => c.id)).toEqual(ids);
  });

  it('includes broken channels, so their alerts are queued and failed visibly, not dropped', () => {
    expect(channelsFor('down', [broken])).toEqual([broken]);
  });

  it('routes to no channel when none takes the event, or there are none', () => {
    expect(channelsFor('late', [downOnly, none])).toEqual([]);
    expect(channelsFor('down', [])).toEqual([]);
  });

  it('returns the channels given, not copies', () => {
    expect(channelsFor('down', channels)[0]).toBe(all);
  });
});
