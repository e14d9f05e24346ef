// The schedule preview under the check form: the next five times a cron schedule fires, in its
// timezone and in UTC, or when an interval check is due if a ping came now; or what is wrong.
import { z } from 'zod';
import { describeSchedule, nextCronRun, validateCron } from '../../core/schedule.ts';
import { type Ctx, iso, sendFragment, utcText } from './checks-common.tsx';
import { KINDS, toSeconds, UNITS, type Unit } from './checks-form-input.ts';

export const PREVIEW_RUNS = 5;

const PreviewQuery = z.object({
  kind: z.preprocess((v) => (KINDS.includes(v as never) ? v : 'interval'), z.enum(KINDS)),
  expression: z.string().max(200, 'the cron expression is longer than 200 characters').default(''),
  timezone: z.string().max(64, 'the timezone is longer than 64 characters').default(''),
  period: z.string().max(50).default(''),
  period_unit: z.preprocess(
    (v) => (typeof v === 'string' && Object.hasOwn(UNITS, v) ? v : 'seconds'),
    z.enum(Object.keys(UNITS) as [Unit, ...Unit[]]),
  ),
});
export type PreviewInput = Record<string, unknown>;

export type PreviewResult =
  | { kind: 'times'; summary: string; note: string; times: number[]; timezone: string }
  | { kind: 'message'; text: string }
  | { kind: 'error'; text: string };

/** Up to five next times for the schedule the form describes, after `now`. */
export function previewSchedule(input: PreviewInput, now: number): PreviewResult {
  const parsed = PreviewQuery.safeParse(input);
  if (!parsed.success) return { kind: 'error', text: parsed.error.issues[0]?.message ?? 'invalid input' };
  const q = parsed.data;
  if (q.kind === 'none') {
    return { kind: 'message', text: 'No schedule: the check goes down only when a job reports a failure.' };
  }
  if (q.kind === 'interval') {
    const period = toSeconds(q.period, q.period_unit);
    if (period === null)
      return { kind: 'message', text: 'Say how often the job runs to see when it is due.' };
    if (!Number.isInteger(period) || period < 1 || period > 31_536_000) {
      return { kind: 'error', text: 'the period must be a whole number of seconds from 1 s to 1 year' };
    }
    const times = Array.from({ length: PREVIEW_RUNS }, (_, i) => now + (i + 1) * period * 1000);
    const summary = describeSchedule({ kind: 'interval', period, grace: 0 });
    return {
      kind: 'times',
      summary,
      note: 'if a ping came now, the next ones are due',
      times,
      timezone: 'UTC',
    };
  }
  const expression = q.expression.trim();
  const timezone = q.timezone.trim() || 'UTC';
  if (expression === '') return { kind: 'message', text: 'Enter a cron expression to see its next runs.' };
  const problem = validateCron(expression, timezone);
  if (problem) return { kind: 'error', text: problem };
  const times: number[] = [];
  let after = now;
  for (let i = 0; i < PREVIEW_RUNS; i++) {
    const next = nextCronRun(expression, timezone, after);
    if (next === null) break;
    times.push(next);
    after = next;
  }
  const summary = describeSchedule({ kind: 'cron', expression, timezone, grace: 0 });
  return { kind: 'times', summary, note: 'next runs', times, timezone };
}

/** "Sat 2026-03-28 02:30 CET": a time as the clocks in `timezone` show it (seconds only when not :00). */
export function localText(at: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: at % 60_000 === 0 ? undefined : '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(at));
  const p = (type: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === type)?.value ?? '';
  const seconds = at % 60_000 === 0 ? '' : `:${p('second')}`;
  return `${p('weekday')} ${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}${seconds} ${p('timeZoneName')}`;
}

export function Preview({ result }: { result: PreviewResult }) {
  return (
    <div id="preview" aria-live="polite">
      {result.kind === 'error' ? (
        <p class="error">{result.text}</p>
      ) : result.kind === 'message' ? (
        <p class="muted">{result.text}</p>
      ) : (
        <>
          <p>
            <strong>{result.summary}</strong> <span class="muted">— {result.note}:</span>
          </p>
          <ol>
            {result.times.map((t) => (
              <li>
                <time datetime={iso(t)}>{localText(t, result.timezone)}</time>
                {result.timezone === 'UTC' ? null : <small class="muted"> ({utcText(t)})</small>}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

export function previewFragment(c: Ctx, now: number) {
  return sendFragment(c, <Preview result={previewSchedule(c.req.query(), now)} />);
}
