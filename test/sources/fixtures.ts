// What the sources specs share: checks as a sync would have made them for a source's jobs,
// moving them into a status through the real state machine and commit, and an app whose
// "sync now" is a real SourceRunner.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { transition } from '../../src/core/status.ts';
import type { Input, Schedule } from '../../src/core/types.ts';
import { createApp } from '../../src/http/app.ts';
import { type Committed, commitTransition } from '../../src/ingest/commit-transition.ts';
import { defaultCheckConfig, newCheck } from '../../src/ingest/new-check.ts';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { SourceRunner } from '../../src/sources/runner.ts';
import type { Check } from '../../src/store/store.ts';
import { BASE_URL, type Harness } from '../helpers/harness.ts';

/** A check for job `key` of the source, as reconcile would make it (slug `<source>/<job>`). */
export async function jobCheck(
  h: Harness,
  source: { id: string; name: string; projectId?: string },
  key: string,
  job: string,
  schedule: Schedule = { kind: 'cron', expression: '*/5 * * * *', timezone: 'UTC', grace: 120 },
): Promise<Check> {
  const slug = `${source.name}/${job}`;
  const check: Check = {
    ...newCheck(
      randomUUID(),
      source.projectId ?? h.project.id,
      { ...defaultCheckConfig(slug), name: job, schedule },
      h.clock.now(),
    ),
    origin: { sourceId: source.id, sourceKey: key, details: {} },
  };
  await h.store.insertCheck(check);
  return check;
}

/** Feeds inputs to the check through the state machine, committing each (flips, incidents). */
export async function drive(h: Harness, check: Check, ...inputs: Input[]): Promise<Check> {
  let current = check;
  for (const input of inputs) {
    const now = h.clock.now();
    current = await h.store.transaction(async (tx) => {
      let fresh = (await tx.getCheck(current.id))!;
      if (input.type === 'ping') {
        // as the ingestor does: the ping takes the next number, and the commit writes it
        fresh = { ...fresh, pingSeq: fresh.pingSeq + 1 };
        await tx.insertPing(
          {
            checkId: fresh.id,
            n: fresh.pingSeq,
            at: now,
            clientAt: null,
            kind: input.kind,
            exitStatus: null,
            method: 'SOURCE',
            source: null,
            userAgent: null,
            rid: input.runId ?? null,
            durationMs: null,
            body: input.kind === 'fail' ? FAIL_BODY : null,
            truncated: false,
          },
          1000,
        );
      }
      const t = transition(fresh, input, now);
      return (await commitTransition(tx, fresh, t, now, { baseUrl: BASE_URL })).check;
    });
  }
  return current;
}

export const FAIL_BODY = 'ERROR:  relation "tmp" does not exist';

export const success: Input = { type: 'ping', kind: 'success' };
export const fail: Input = { type: 'ping', kind: 'fail' };
export const start = (runId: string): Input => ({ type: 'ping', kind: 'start', runId });

/**
 * The harness's vigil with a real SourceRunner behind "sync now": an app over the same store,
 * ingestor and clock, and the runner (not started: tests sync on demand).
 */
export function withRunner(h: Harness): { app: ReturnType<typeof createApp>; runner: SourceRunner } {
  const http = createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 });
  const onCommitted = (c: Committed) => {
    h.committed.push(c);
    h.bus.publishCommitted(c);
  };
  const runner = new SourceRunner(h.store, {
    clock: h.clock,
    logger: pino({ level: 'silent' }),
    ingestor: h.ingestor,
    http,
    allowPrivateTargets: true,
    baseUrl: BASE_URL,
    newId: randomUUID,
    onCommitted,
  });
  const app = createApp({
    store: h.store,
    ingestor: h.ingestor,
    http,
    config: { baseUrl: BASE_URL, pingBodyLimit: 100 * 1024, trustProxy: false },
    now: () => h.clock.now(),
    newId: randomUUID,
    clientAddress: () => '127.0.0.1',
    onCommitted,
    health: async () => ({ ok: true }),
    log: () => {},
    bus: h.bus,
    syncSource: runner.syncNow,
  });
  return { app, runner };
}
