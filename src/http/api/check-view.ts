import type { z } from '@hono/zod-openapi';
import { describeSchedule } from '../../core/schedule.ts';
import { pingUrl } from '../../ingest/queue-alerts.ts';
import { maskProbeHeaders } from '../../probes/probe-headers.ts';
import type { Check, FlipRow, Ping, Probe, Project } from '../../store/store.ts';
import type { CheckSchema, FlipSchema, PingSchema } from './check-schemas.ts';
import type { ProbeSchema } from './probe-schema.ts';

export const iso = (t: number) => new Date(t).toISOString();
export const isoOrNull = (t: number | null) => (t === null ? null : iso(t));

/** A check as the API shows it. */
export function checkView(check: Check, project: Project, baseUrl: string): z.infer<typeof CheckSchema> {
  const url = pingUrl(baseUrl, check.id);
  return {
    id: check.id,
    name: check.name,
    slug: check.slug,
    description: check.description,
    tags: check.tags,
    schedule: check.schedule,
    schedule_text: describeSchedule(check.schedule),
    max_runtime: check.maxRuntime,
    failure_threshold: check.failureThreshold,
    severity: check.severity,
    manual_resume: check.manualResume,
    methods: check.methods,
    channels: check.channels,
    realert_every: check.realertEvery,
    kind: check.probe === null ? 'push' : 'http',
    probe: check.probe === null ? null : probeView(check.probe),
    success_criteria: check.successCriteria,
    source:
      check.origin === null
        ? null
        : { id: check.origin.sourceId, key: check.origin.sourceKey, details: check.origin.details },
    archived_at: isoOrNull(check.archivedAt),
    status: check.status,
    running: Object.keys(check.openRuns).length > 0,
    failure_count: check.failureCount,
    last_ping_at: isoOrNull(check.lastPingAt),
    next_deadline: isoOrNull(check.nextDeadline),
    status_changed_at: iso(check.statusChangedAt),
    ping_url: url,
    ping_urls: {
      success: url,
      start: `${url}/start`,
      fail: `${url}/fail`,
      log: `${url}/log`,
      exit_status: `${url}/{exit_status}`,
      by_slug: `${baseUrl}/ping/${project.pingKey}/${check.slug}`,
    },
    created_at: iso(check.createdAt),
    updated_at: iso(check.updatedAt),
  };
}

/** A probe as the API shows it: secret-looking header values masked, as channel secrets are. */
export function probeView(p: Probe): z.infer<typeof ProbeSchema> {
  return {
    method: p.method,
    url: p.url,
    expected_status: p.expectedStatus,
    keyword: p.keyword,
    keyword_mode: p.keywordMode,
    timeout: p.timeout,
    headers: maskProbeHeaders(p.headers),
    body: p.body,
  };
}

export function pingView(p: Ping): z.infer<typeof PingSchema> {
  return {
    n: p.n,
    at: iso(p.at),
    client_at: isoOrNull(p.clientAt),
    skew_ms: p.clientAt === null ? null : p.clientAt - p.at,
    kind: p.kind,
    exit_status: p.exitStatus,
    method: p.method,
    source: p.source,
    user_agent: p.userAgent,
    rid: p.rid,
    duration_ms: p.durationMs,
    body: p.body,
    truncated: p.truncated,
  };
}

export function flipView(f: FlipRow): z.infer<typeof FlipSchema> {
  return {
    id: f.id,
    at: iso(f.at),
    from: f.from,
    to: f.to,
    reason: f.reason,
    event: f.event,
    alert: f.alert,
    alert_note: f.alertNote,
    release_at: isoOrNull(f.releaseAt),
  };
}
