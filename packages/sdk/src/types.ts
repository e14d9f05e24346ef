// The SDK's public types. Check fields keep the REST API's names (snake_case) so the API docs
// (docs/api.md, /api/v1/openapi.json) apply to them word for word.

/** How often a check expects pings. Periods and graces are seconds. */
export type Schedule =
  | { kind: 'interval'; period: number; grace?: number }
  | { kind: 'cron'; expression: string; timezone?: string; grace?: number }
  | { kind: 'none' };

export type Severity = 'critical' | 'important' | 'low';

/** One check as `register()` declares it: the body of `PUT /api/v1/checks/by-slug/<slug>`. */
export interface CheckSpec {
  /** unique within the project; the check's stable name in code */
  slug: string;
  name?: string;
  schedule?: Schedule;
  /** seconds a started run may take before the check is down; null: no limit */
  max_runtime?: number | null;
  /** consecutive failures before the check is down (default 1) */
  failure_threshold?: number;
  severity?: Severity;
  tags?: string[];
  description?: string;
  manual_resume?: boolean;
  /** `post` ignores GET/HEAD pings */
  methods?: 'any' | 'post';
  /** channel ids that always get this check's alerts */
  channels?: string[];
  /** seconds between reminders while down; null: none */
  realert_every?: number | null;
  /** what a good run looks like, in the team's words (shown with the check and its alerts) */
  success_criteria?: string;
  /** `http`: vigil requests `probe.url` itself every schedule period (docs/http-probes.md) */
  kind?: 'push' | 'http';
  probe?: ProbeSpec;
}

/** An http check's request and what counts as success; the API's `probe` object. */
export interface ProbeSpec {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** status codes that count as success, e.g. ["200-299", "301"]; default ["200-299"] */
  expected_status?: string[];
  /** the body must contain this (or must not, with keyword_mode "not_contains") */
  keyword?: string;
  keyword_mode?: 'contains' | 'not_contains';
  /** seconds, shorter than the schedule's period; default 10 */
  timeout?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A check as the server returns it (the fields the SDK relies on, and the rest untyped). */
export interface RegisteredCheck {
  id: string;
  slug: string;
  name: string;
  status: string;
  ping_url: string;
  [field: string]: unknown;
}

/** Where warnings go when the SDK swallows an error. `console` fits. */
export interface Logger {
  warn(message: string, ...details: unknown[]): void;
}

export interface VigilOptions {
  /** the server's base URL, e.g. `https://vigil.example.com` */
  url: string;
  /** a `vgl_...` API key: needed by `register()` and to address checks by slug without `pingKey` */
  apiKey?: string;
  /** the project's ping key: addresses checks by slug without an API call */
  pingKey?: string;
  /** per request, default 10000 */
  timeoutMs?: number;
  /** throw errors into the caller instead of logging them; default false */
  strict?: boolean;
  /** extra attempts after a network error, a timeout, a 5xx or a 429; default 2 */
  retries?: number;
  /** default `console` */
  logger?: Logger;
}

/** A check's UUID, or its slug. A UUID-shaped string is always taken as the id. */
export type CheckRef = string;

/** What a ping says: success (the default), a run's start or failure, a log line, an exit status. */
export type PingAction = 'success' | 'start' | 'fail' | 'log' | number;

export interface PingOptions {
  action?: PingAction;
  /** sent as the ping's body (kept up to the server's ping body limit) */
  message?: string;
  /** a UUID pairing a start with its end; see `monitor()` */
  runId?: string;
}

export type RunOptions = Pick<PingOptions, 'message' | 'runId'>;

export type HeartbeatStatus = 'ok' | 'fail';

export interface HeartbeatOptions {
  /** milliseconds between pings */
  every: number;
  /** decides each ping: `ok` (success) or `fail`; throwing counts as `fail` with the error's message */
  status?: () => HeartbeatStatus | Promise<HeartbeatStatus>;
}
