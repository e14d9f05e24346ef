// Alert payloads as the outbox stores them, for channel tests.
import type { EventKind } from '../../src/core/types.ts';
import type { AlertPayload } from '../../src/notifiers/notifier.ts';

const FLIP_AT = '2026-03-01T10:05:00.000Z';

/** A payload for `event` about check "nightly-backup" in project "ops", with `overrides` on top. */
export function samplePayload(event: EventKind, overrides: Partial<AlertPayload> = {}): AlertPayload {
  const down = event !== 'up' && event !== 'late';
  return {
    event,
    check: {
      id: '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23',
      name: 'nightly-backup',
      slug: 'nightly-backup',
      tags: ['db', 'prod'],
      status: event === 'up' ? 'up' : event === 'late' ? 'late' : 'down',
      severity: 'critical',
      schedule: 'every 1 hour',
      last_ping_at: '2026-03-01T09:00:00.000Z',
      ping_url: 'https://vigil.example.com/ping/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23',
      url: 'https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23',
    },
    flip: {
      id: 42,
      from: event === 'up' ? 'down' : 'up',
      to: event === 'up' ? 'up' : event === 'late' ? 'late' : 'down',
      at: FLIP_AT,
      reason: down
        ? 'expected a ping every 1 hour; last ping 1 hour 5 minutes ago'
        : event === 'late'
          ? 'late: expected a ping every 1 hour; last ping 1 hour ago'
          : 'success ping received',
    },
    project: { id: 'a3f1c2d4-0000-4000-8000-000000000001', name: 'ops' },
    downtime_ms: event === 'up' ? 3_900_000 : null,
    last_ping_body: event === 'failed' ? 'pg_dump: error: connection to server failed <&> "quoted"' : null,
    ...overrides,
  };
}
