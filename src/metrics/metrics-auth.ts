// Who may read /metrics when VIGIL_METRICS_KEY is set: `Authorization: Bearer <key>`. Both
// sides are hashed before the compare, so its time says nothing about the key, not even its
// length.
import { constantTimeEqual, hashKey } from '../projects/keys.ts';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export type MetricsAuth = 'ok' | 'missing' | 'wrong';

export function metricsKeyCheck(
  key: string,
): (authorization: string | null | undefined) => Promise<MetricsAuth> {
  const expected = hashKey(key);
  return async (authorization) => {
    const given = BEARER.exec(authorization ?? '')?.[1];
    if (given === undefined) return 'missing';
    return constantTimeEqual(hashKey(given), expected) ? 'ok' : 'wrong';
  };
}

/** The 401's message for a refused scrape. */
export function metricsAuthMessage(result: Exclude<MetricsAuth, 'ok'>): string {
  return result === 'missing'
    ? 'send the metrics key (VIGIL_METRICS_KEY) as "Authorization: Bearer <key>"'
    : 'the metrics key is not valid: send the value of VIGIL_METRICS_KEY';
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
