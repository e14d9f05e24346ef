// What the scheduler and dispatcher specs share: checks and channels made through the API,
// pings through the ping route, and ways to await the loops instead of sleeping.
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { EventKind } from '../../src/core/types.ts';
import type { Clock, ManualClock } from '../../src/scheduler/clock.ts';
import type { Harness } from '../helpers/harness.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** An interval check (period 60 s, grace 30 s unless told) created through the API; returns its id. */
export async function createCheck(
  h: Harness,
  body: Record<string, unknown> = {},
  /** the API key, and so the project (the harness's main project unless told) */
  key?: string,
): Promise<string> {
  const res = await h.api(
    'POST',
    '/checks',
    {
      name: `check ${Math.random().toString(36).slice(2, 8)}`,
      schedule: { kind: 'interval', period: 60, grace: 30 },
      ...body,
    },
    key,
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** A webhook channel created through the API; returns its id. */
export async function createWebhook(
  h: Harness,
  url: string,
  opts: { secret?: string; events?: EventKind[]; key?: string } = {},
): Promise<string> {
  const res = await h.api(
    'POST',
    '/channels',
    {
      kind: 'webhook',
      name: 'hook',
      config: { url, secret: opts.secret ?? 'receiver-secret' },
      events: opts.events ?? ['down', 'up', 'late'],
    },
    opts.key,
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** A success ping through the real ping route, at the harness clock's time. */
export async function ping(h: Harness, checkId: string): Promise<void> {
  const res = await h.app.request(`/ping/${checkId}`, { method: 'POST' });
  expect(res.status).toBe(200);
}

/** The next event `name` whose payload satisfies `accept`; listen before causing it. */
export function nextEvent<T>(
  emitter: EventEmitter,
  name: string,
  accept: (payload: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (payload: T) => {
      if (!accept(payload)) return;
      emitter.off(name, listener);
      resolve(payload);
    };
    emitter.on(name, listener);
  });
}

/**
 * A Clock that reads and sleeps on `clock` and tells the test each time a loop goes to
 * sleep, and for how long: the moment a loop is parked is then known, not guessed.
 */
export function watchSleeps(clock: ManualClock): Clock & { nextSleep(): Promise<number> } {
  const waiting: ((ms: number) => void)[] = [];
  return {
    now: () => clock.now(),
    sleep(ms, signal) {
      for (const resolve of waiting.splice(0)) resolve(ms);
      return clock.sleep(ms, signal);
    },
    nextSleep: () => new Promise<number>((resolve) => waiting.push(resolve)),
  };
}

/** A pino destination that keeps every log line; `next(msg)` resolves when a line with that message is written. */
export function logCapture() {
  const lines: { level: number; msg: string }[] = [];
  const waiting: { msg: string; resolve: () => void }[] = [];
  return {
    lines,
    write(line: string) {
      const parsed = JSON.parse(line) as { level: number; msg: string };
      lines.push(parsed);
      for (const w of waiting.filter((w) => w.msg === parsed.msg)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    next(msg: string): Promise<void> {
      return new Promise((resolve) => waiting.push({ msg, resolve }));
    },
  };
}

export interface Received {
  headers: IncomingHttpHeaders;
  /** the raw body, as the signature was computed over it */
  body: string;
}

export type Answer = (req: Received, res: ServerResponse) => unknown;

/** A real HTTP receiver on 127.0.0.1 that records each request and answers as told (200 `ok` by default). */
export async function startReceiver() {
  const requests: Received[] = [];
  const waiting: (() => void)[] = [];
  let answer: Answer = (_req, res) => res.end('ok');
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(received);
    for (const resolve of waiting.splice(0)) resolve();
    await answer(received, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    /** how the following requests are answered */
    answer(next: Answer) {
      answer = next;
    },
    /** resolves when the next request has arrived (before it is answered) */
    nextRequest: () => new Promise<void>((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A receiver that accepts every request and never answers: each stays open until the client
 * gives up (its timeout) or the receiver closes. Counts the requests open at once.
 */
export async function startHangingReceiver() {
  const receiver = await startReceiver();
  let open = 0;
  let maxOpen = 0;
  let waiting: { count: number; resolve: () => void }[] = [];
  receiver.answer(
    (_req, res) =>
      new Promise<void>((resolve) => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        for (const w of waiting.filter((w) => open >= w.count)) w.resolve();
        waiting = waiting.filter((w) => open < w.count);
        res.on('close', () => {
          open--;
          resolve();
        });
      }),
  );
  return {
    url: receiver.url,
    requests: receiver.requests,
    close: receiver.close,
    /** requests open now */
    open: () => open,
    /** the most requests that were open at once */
    maxOpen: () => maxOpen,
    /** resolves when `count` requests are open at once */
    untilOpen: (count: number) =>
      new Promise<void>((resolve) => {
        if (open >= count) resolve();
        else waiting.push({ count, resolve });
      }),
  };
}

/** Answers with `status` and `body` (and headers), as a provider would. */
export const respond =
  (status: number, body = '', headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
    res.end(body);
  };
