import { defineConfig } from 'vitest/config';

/**
 * The specs that drive the whole app through the test harness run a second time on D1 (the
 * Workers store, in workerd through Miniflare): pings, the state machine, alerts and the
 * compat APIs must behave the same whichever store is underneath.
 */
const ON_D1_TOO = [
  'test/ingest/ingest.test.ts',
  'test/scheduler/alerting.test.ts',
  'test/scheduler/provider-outage.test.ts',
  'test/scheduler/claims.test.ts',
  'test/http/ping-protocol.test.ts',
  'test/http/checks-api.test.ts',
  'test/http/compat-*.test.ts',
  'test/http/audit-api.test.ts',
  'test/http/client-time.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'] } },
      { extends: true, test: { name: 'd1', include: ON_D1_TOO, env: { VIGIL_TEST_STORE: 'd1' } } },
    ],
  },
});
