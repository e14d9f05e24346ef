// Noise control without I/O: held or queued, recoveries only after a sent down alert, what a
// held alert becomes when its window ends, and how often reminders come.
import { describe, expect, it } from 'vitest';
import {
  type AlertedFlip,
  decideAlert,
  decideRelease,
  firstReminder,
  reminderInterval,
  wasSent,
} from '../../src/core/alerting.ts';
import type { Hold, MaintenanceWindow } from '../../src/core/maintenance.ts';
import type { Schedule } from '../../src/core/types.ts';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const window: MaintenanceWindow = {
  id: 'w1',
  name: 'db upgrade',
  kind: 'once',
  startsAt: NOW - 60_000,
  endsAt: NOW + 600_000,
  checkIds: [],
  tags: [],
};
const hold: Hold = { window, until: window.endsAt };
const every5min: Schedule = { kind: 'interval', period: 300, grace: 60 };

const flip = (overrides: Partial<AlertedFlip>): AlertedFlip => ({
  id: 7,
  to: 'down',
  event: 'down',
  alert: 'held',
  ...overrides,
});

describe('decideAlert', () => {
  it('queues a problem at once outside maintenance', () => {
    for (const event of ['down', 'failed', 'too_long', 'late'] as const) {
      expect(decideAlert(event, null, null)).toEqual({ alert: 'queued', note: null, releaseAt: null });
    }
  });

  it('holds a problem during maintenance until the window ends, saying which window', () => {
    const d = decideAlert('failed', hold, null);
    expect(d).toEqual({
      alert: 'held',
      note: 'held by maintenance window "db upgrade" until 2026-03-01T10:10:00.000Z',
      releaseAt: window.endsAt,
    });
  });

  it('sends a recovery only when the down alert went out', () => {
    expect(decideAlert('up', null, flip({ alert: 'queued' })).alert).toBe('queued');
    expect(decideAlert('up', null, flip({ alert: 'released' })).alert).toBe('queued');
    for (const alert of ['held', 'grace', 'dropped', 'suppressed', null] as const) {
      expect(decideAlert('up', null, flip({ alert }))).toEqual({
        alert: 'suppressed',
        note: 'no down alert was sent for this outage',
        releaseAt: null,
      });
    }
    expect(decideAlert('up', null, null).alert).toBe('suppressed');
  });

  it('holds a recovery during maintenance when its down alert went out before the window', () => {
    expect(decideAlert('up', hold, flip({ alert: 'queued' })).alert).toBe('held');
    expect(decideAlert('up', hold, flip({ alert: 'held' })).alert).toBe('suppressed');
  });
});

describe('wasSent', () => {
  it('counts queued and released alerts as sent', () => {
    expect(wasSent(flip({ alert: 'queued' }))).toBe(true);
    expect(wasSent(flip({ alert: 'released' }))).toBe(true);
    expect(wasSent(flip({ alert: 'held' }))).toBe(false);
    expect(wasSent(null)).toBe(false);
  });
});

describe('decideRelease', () => {
  const down = { status: 'down' as const, schedule: every5min, lastFlipId: 7 };

  it('holds again while a window still covers the check', () => {
    expect(decideRelease(flip({}), down, hold, NOW)).toMatchObject({ action: 'hold', until: window.endsAt });
  });

  it('gives a fresh grace to a check that missed pings during the window', () => {
    expect(decideRelease(flip({ event: 'down' }), down, null, NOW)).toEqual({
      action: 'grace',
      until: NOW + 60_000,
      note: 'maintenance ended; fresh grace of 1 minute before the alert',
    });
    const late = { ...down, status: 'late' as const };
    expect(decideRelease(flip({ event: 'late', to: 'late' }), late, null, NOW).action).toBe('grace');
  });

  it('sends once the fresh grace has passed and the check is still down', () => {
    expect(decideRelease(flip({ alert: 'grace' }), down, null, NOW)).toEqual({ action: 'send' });
  });

  it('sends a failed or too-long run at once: no grace can change a run that ended badly', () => {
    expect(decideRelease(flip({ event: 'failed' }), down, null, NOW)).toEqual({ action: 'send' });
    expect(decideRelease(flip({ event: 'too_long' }), down, null, NOW)).toEqual({ action: 'send' });
  });

  it('sends at once for a schedule without a grace', () => {
    const noGrace = { ...down, schedule: { kind: 'none' } as Schedule };
    expect(decideRelease(flip({ event: 'down' }), noGrace, null, NOW)).toEqual({ action: 'send' });
  });

  it('drops an alert about a state the check has left', () => {
    const recovered = { status: 'up' as const, schedule: every5min, lastFlipId: 8 };
    expect(decideRelease(flip({}), recovered, null, NOW)).toEqual({
      action: 'drop',
      note: 'the check became up before the alert was released',
    });
    // down again since, through a newer flip: the old alert is not the news any more
    expect(decideRelease(flip({}), { ...down, lastFlipId: 9 }, null, NOW).action).toBe('drop');
  });

  it('sends a held recovery when the check is still up', () => {
    const up = { status: 'up' as const, schedule: every5min, lastFlipId: 7 };
    expect(decideRelease(flip({ to: 'up', event: 'up' }), up, null, NOW)).toEqual({ action: 'send' });
  });
});

describe('reminders', () => {
  it('are off unless the check sets realert_every', () => {
    expect(reminderInterval(null, 3600)).toBeNull();
    expect(reminderInterval(0, 3600)).toBeNull();
  });

  it('never come more often than the project silence period', () => {
    expect(reminderInterval(600, 3600)).toBe(3_600_000);
    expect(reminderInterval(7200, 3600)).toBe(7_200_000);
    expect(reminderInterval(600, 60)).toBe(600_000);
  });

  it('start after a down alert, not after late warnings or recoveries', () => {
    expect(firstReminder('down', NOW, 7200, 3600)).toBe(NOW + 7_200_000);
    expect(firstReminder('failed', NOW, 7200, 3600)).toBe(NOW + 7_200_000);
    expect(firstReminder('too_long', NOW, 7200, 3600)).toBe(NOW + 7_200_000);
    expect(firstReminder('late', NOW, 7200, 3600)).toBeNull();
    expect(firstReminder('up', NOW, 7200, 3600)).toBeNull();
    expect(firstReminder('down', NOW, null, 3600)).toBeNull();
  });
});
