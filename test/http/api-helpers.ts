// Small readers for API answers, so the specs say what they expect and not how to parse it.
import type { z } from '@hono/zod-openapi';
import { expect } from 'vitest';
import type { CheckSchema, FlipSchema, PingSchema } from '../../src/http/api/check-schemas.ts';
import type { Harness } from '../helpers/harness.ts';

export type CheckView = z.infer<typeof CheckSchema>;
export type PingView = z.infer<typeof PingSchema>;
export type FlipView = z.infer<typeof FlipSchema>;

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/**
 * Asserts the one error shape `{ error: { code, message } }` with this status, and that the
 * message matches `message`. Returns the error for further checks.
 */
export async function expectApiError(
  res: Response,
  status: number,
  message?: RegExp,
): Promise<{ code: string; message: string }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await json<{ error: { code: string; message: string; details?: unknown } }>(res);
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual(
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  );
  expect(body.error.message).not.toMatch(/\n\s+at /); // never a stack trace
  if (message) expect(body.error.message).toMatch(message);
  return body.error;
}

/** A raw request to /api/v1 as an HTTP client sends it: with a Content-Length for the body. */
export function rawApi(
  h: Harness,
  method: string,
  path: string,
  body: string | undefined,
  headers: Record<string, string>,
): Promise<Response> {
  return Promise.resolve(
    h.app.request(`/api/v1${path}`, {
      method,
      headers: {
        'X-Api-Key': h.key,
        ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
        ...headers,
      },
      body,
    }),
  );
}

export async function createCheck(h: Harness, fields: Record<string, unknown>): Promise<CheckView> {
  const res = await h.api('POST', '/checks', fields);
  expect(res.status).toBe(201);
  return json<CheckView>(res);
}

export async function getCheck(h: Harness, id: string): Promise<CheckView> {
  const res = await h.api('GET', `/checks/${id}`);
  expect(res.status).toBe(200);
  return json<CheckView>(res);
}

export async function listPings(h: Harness, id: string, query = ''): Promise<PingView[]> {
  const res = await h.api('GET', `/checks/${id}/pings${query}`);
  expect(res.status).toBe(200);
  return (await json<{ pings: PingView[] }>(res)).pings;
}

export async function listFlips(h: Harness, id: string): Promise<FlipView[]> {
  const res = await h.api('GET', `/checks/${id}/flips`);
  expect(res.status).toBe(200);
  return (await json<{ flips: FlipView[] }>(res)).flips;
}

export const iso = (t: number) => new Date(t).toISOString();
