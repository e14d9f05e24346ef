import { describe, expect, it } from 'vitest';
import { classifyResponse, parseRetryAfter, resultFromHttpError } from '../../src/notifiers/classify.ts';
import { HttpError, type HttpResponse } from '../../src/notifiers/http.ts';

function response(status: number, text = '', headers: Record<string, string> = {}): HttpResponse {
  return { status, text, headers: new Headers(headers), truncated: false };
}

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('classifyResponse', () => {
  it.each([200, 201, 202, 204])('counts %i as delivered', (status) => {
    expect(classifyResponse(response(status))).toEqual({ outcome: 'delivered', detail: `HTTP ${status}` });
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('retries %i', (status) => {
    expect(classifyResponse(response(status, 'busy'))).toEqual({
      outcome: 'retry',
      error: `HTTP ${status}: busy`,
    });
  });

  it('takes the delay from Retry-After seconds', () => {
    const result = classifyResponse(response(429, '', { 'retry-after': '7' }));
    expect(result).toEqual({ outcome: 'retry', error: 'HTTP 429 (empty body)', retryAfterMs: 7000 });
  });

  it('takes the delay from a Retry-After HTTP-date', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    const result = classifyResponse(response(503, '', { 'retry-after': at }), { now: NOW });
    expect(result).toMatchObject({ outcome: 'retry', retryAfterMs: 90_000 });
  });

  it('ignores a Retry-After it cannot read', () => {
    expect(classifyResponse(response(503, '', { 'retry-after': 'soon' }))).not.toHaveProperty('retryAfterMs');
  });

  it.each([400, 401, 403, 404, 410, 422])(
    'fails permanently on %i, quoting the status and body',
    (status) => {
      const result = classifyResponse(response(status, '{"error":\n  "invalid_token"}'));
      expect(result).toEqual({ outcome: 'failed', error: `HTTP ${status}: {"error": "invalid_token"}` });
    },
  );

  it('fails on a redirect that was not followed', () => {
    expect(classifyResponse(response(302))).toEqual({ outcome: 'failed', error: 'HTTP 302 (empty body)' });
  });

  it('quotes at most 200 characters of the body', () => {
    const result = classifyResponse(response(400, 'e'.repeat(5000)));
    expect(result.outcome === 'failed' && result.error).toBe(`HTTP 400: ${'e'.repeat(200)}…`);
  });
});

describe('parseRetryAfter', () => {
  it('never returns a negative delay for a date in the past', () => {
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('returns undefined when the header is absent', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});

describe('resultFromHttpError', () => {
  it.each(['timeout', 'network'] as const)('retries after a %s', (kind) => {
    expect(resultFromHttpError(new HttpError(kind, 'boom'))).toEqual({ outcome: 'retry', error: 'boom' });
  });

  it.each(['refused-address', 'bad-url'] as const)('fails permanently on %s', (kind) => {
    expect(resultFromHttpError(new HttpError(kind, 'no'))).toEqual({ outcome: 'failed', error: 'no' });
  });

  it('rethrows anything that is not an HttpError', () => {
    const bug = new TypeError('undefined is not a function');
    expect(() => resultFromHttpError(bug)).toThrow(bug);
  });
});
