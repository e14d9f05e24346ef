// The rules an http check's settings follow, besides the shape the API schema checks: they
// involve several fields (the schedule, the probe, methods), so they are checked on the check as
// it will be after a change.
import type { CheckConfig } from '../store/store.ts';

/**
 * The shortest probe interval, seconds. A probe may take up to its timeout (at least 1 s) and
 * must end before the next one starts; at 10 s, 1,000 checks already mean 100 requests a second
 * from one vigil to other people's servers, which is more than a heartbeat monitor should send.
 */
export const MIN_PROBE_PERIOD = 10;
export const DEFAULT_PROBE_PERIOD = 60;
export const MAX_PROBE_TIMEOUT = 60;
export const DEFAULT_PROBE_TIMEOUT = 10;
export const MAX_PROBE_HEADERS = 20;
export const MAX_PROBE_HEADER_BYTES = 4 * 1024;
export const MAX_PROBE_BODY_BYTES = 64 * 1024;
export const MAX_PROBE_URL = 2048;
export const MAX_KEYWORD = 1000;
/** How much of an answer is read to look for the keyword; the rest is not downloaded. */
export const PROBE_RESPONSE_LIMIT = 1024 * 1024;

export const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export interface FieldProblem {
  /** the API field, e.g. "schedule.period" or "probe.timeout" */
  field: string;
  message: string;
}

/** Why an http check cannot have these settings, or null when it can (or is not an http check). */
export function httpCheckProblem(config: CheckConfig): FieldProblem | null {
  const { probe, schedule } = config;
  if (probe === null) return null;
  if (schedule.kind !== 'interval') {
    return {
      field: 'schedule',
      message: 'an http check needs an interval schedule: vigil probes it once per period',
    };
  }
  if (schedule.period < MIN_PROBE_PERIOD) {
    return { field: 'schedule.period', message: `must be at least ${MIN_PROBE_PERIOD} s for an http check` };
  }
  if (probe.timeout >= schedule.period) {
    return {
      field: 'probe.timeout',
      message: `must be shorter than the period (${schedule.period} s), so a probe ends before the next`,
    };
  }
  if (config.methods === 'post') {
    return {
      field: 'methods',
      message: 'must be "any" for an http check: its results are recorded by vigil, not POSTed',
    };
  }
  return null;
}
