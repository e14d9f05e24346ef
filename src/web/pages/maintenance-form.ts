// The new-window form read into the API's MaintenanceInput, so a window is valid here exactly
// when it is valid there. The form speaks people's units: wall-clock times in a timezone
// (datetime-local inputs) and minutes; they are turned into instants and seconds first.
import { instantToLocal, localToInstant } from '../../core/local-time.ts';
import { validateTimezone } from '../../core/schedule.ts';
import { MaintenanceInput, type WindowInput } from '../../maintenance/window-changes.ts';
import { type FieldErrors, type Form, splitList } from './alerting-common.tsx';

export interface WindowFormState {
  name: string;
  kind: 'once' | 'recurring';
  starts: string;
  ends: string;
  cron: string;
  /** minutes */
  duration: string;
  timezone: string;
  scope: 'project' | 'tags' | 'checks';
  tags: string;
  checks: string[];
}

const MAX_MINUTES = 7 * 24 * 60;

/** The API's field names → the form's. */
const FORM_FIELD: Record<string, string> = { starts_at: 'starts', ends_at: 'ends' };

export function blankWindowForm(now: number): WindowFormState {
  const hour = 3_600_000;
  const start = Math.ceil(now / hour) * hour;
  return {
    name: '',
    kind: 'once',
    starts: instantToLocal(start, 'UTC'),
    ends: instantToLocal(start + hour, 'UTC'),
    cron: '',
    duration: '60',
    timezone: 'UTC',
    scope: 'project',
    tags: '',
    checks: [],
  };
}

function stateOf(form: Form): WindowFormState {
  const scope = form.one('scope');
  return {
    name: form.one('name'),
    kind: form.one('kind') === 'recurring' ? 'recurring' : 'once',
    starts: form.one('starts'),
    ends: form.one('ends'),
    cron: form.one('cron'),
    duration: form.one('duration'),
    timezone: form.one('timezone'),
    scope: scope === 'tags' || scope === 'checks' ? scope : 'project',
    tags: form.one('tags'),
    checks: form.all('checks'),
  };
}

function add(errors: FieldErrors, field: string, message: string): void {
  const list = errors[field] ?? [];
  if (!list.includes(message)) list.push(message);
  errors[field] = list;
}

export function readWindowForm(
  form: Form,
):
  | { ok: true; input: WindowInput; state: WindowFormState }
  | { ok: false; errors: FieldErrors; state: WindowFormState } {
  const state = stateOf(form);
  const errors: FieldErrors = {};
  const timezone = state.timezone.trim() || 'UTC';
  const input: Record<string, unknown> = { name: state.name };

  if (state.kind === 'once') {
    const tzProblem = validateTimezone(timezone);
    if (tzProblem) add(errors, 'timezone', tzProblem);
    for (const [field, key] of [
      ['starts', 'starts_at'],
      ['ends', 'ends_at'],
    ] as const) {
      const at = tzProblem ? null : localToInstant(state[field], timezone);
      if (at !== null) input[key] = new Date(at).toISOString();
      else if (!tzProblem) add(errors, field, 'must be a date and time, like 2026-03-01T02:00');
    }
  } else {
    input.cron = state.cron;
    input.timezone = timezone;
    const minutes = state.duration.trim();
    if (!/^\d+$/.test(minutes)) add(errors, 'duration', 'must be a whole number of minutes');
    else if (Number(minutes) < 1 || Number(minutes) > MAX_MINUTES)
      add(errors, 'duration', `must be 1 to ${MAX_MINUTES} minutes (7 days)`);
    else input.duration = Number(minutes) * 60;
  }

  if (state.scope === 'tags') {
    input.tags = splitList(state.tags);
    if ((input.tags as string[]).length === 0) add(errors, 'tags', 'name at least one tag');
  } else if (state.scope === 'checks') {
    input.checks = state.checks;
    if (state.checks.length === 0) add(errors, 'checks', 'choose at least one check');
  }

  const parsed = MaintenanceInput.safeParse(input);
  if (!parsed.success) {
    // a field the form found wrong was left out of the input: the schema's "needs starts_at" adds nothing
    const known = new Set(Object.keys(errors));
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'name');
      const field = FORM_FIELD[key] ?? key;
      if (!known.has(field)) add(errors, field, issue.message.replace(/\bstarts_at\b/, 'the start'));
    }
  }
  if (parsed.success && Object.keys(errors).length === 0) return { ok: true, input: parsed.data, state };
  return { ok: false, errors, state };
}
