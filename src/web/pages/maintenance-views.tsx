// The maintenance page: "quiet for" buttons, the windows holding alerts now (and when they
// end), the ones to come (recurring ones by their next occurrences), and a form for a new one.
// One-off windows that are over are not shown.
import { instantToLocal } from '../../core/local-time.ts';
import { type Occurrence, upcoming } from '../../core/maintenance.ts';
import { formatDuration } from '../../core/schedule.ts';
import type { Check, Maintenance } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { type FieldErrors, Instant } from './alerting-common.tsx';
import type { WindowFormState } from './maintenance-form.ts';
import { WindowForm } from './maintenance-window-form.tsx';

export interface MaintenancePageProps {
  ctx: WebVariables;
  windows: Maintenance[];
  checks: Check[];
  now: number;
  writer: boolean;
  form: WindowFormState;
  errors: FieldErrors;
  /** a problem with the whole request (too many windows, a bad "quiet for") */
  problem?: string | undefined;
  done?: string | undefined;
}

const DONE: Record<string, string> = {
  created: 'Maintenance window added.',
  quiet: 'Alerts are held from now on.',
  deleted: 'Maintenance window deleted.',
};

/** An instant in a window's own timezone, with the UTC instant in `datetime`. */
function LocalTime({ at, timezone }: { at: number; timezone: string }) {
  const iso = new Date(at).toISOString();
  const text = instantToLocal(at, timezone).replace('T', ' ');
  return (
    <time datetime={iso} title={iso}>
      {`${text} ${timezone}`}
    </time>
  );
}

function When({ m, at }: { m: Maintenance; at: number }) {
  return m.kind === 'recurring' ? <LocalTime at={at} timezone={m.timezone} /> : <Instant at={at} />;
}

function scopeWords(m: Maintenance, names: Map<string, string>): string {
  if (m.checkIds.length === 0 && m.tags.length === 0) return 'the whole project';
  const parts: string[] = [];
  if (m.checkIds.length) parts.push(`checks ${m.checkIds.map((id) => names.get(id) ?? id).join(', ')}`);
  if (m.tags.length) parts.push(`checks tagged ${m.tags.join(' or ')}`);
  return parts.join('; ');
}

function describe(m: Maintenance): string {
  return m.kind === 'once'
    ? 'one-off'
    : `recurring: cron "${m.cron}" in ${m.timezone}, ${formatDuration(m.duration * 1000)} each`;
}

function DeleteButton({ ctx, m, label }: { ctx: WebVariables; m: Maintenance; label: string }) {
  return (
    <form method="post" action={`/maintenance/${m.id}/delete`} class="inline">
      <Csrf ctx={ctx} />
      <button type="submit" class="secondary outline">
        {label}
      </button>
    </form>
  );
}

interface Row {
  m: Maintenance;
  current: Occurrence | null;
  next: Occurrence[];
}

function WindowRow({ row, props, active }: { row: Row; props: MaintenancePageProps; active: boolean }) {
  const { m, current, next } = row;
  const names = new Map(props.checks.map((c) => [c.id, c.name]));
  return (
    <article class="window" id={`window-${m.id}`}>
      <header>
        <strong>{m.name}</strong> <small class="muted">{describe(m)}</small>
      </header>
      <p>Holds alerts of {scopeWords(m, names)}.</p>
      {active && current ? (
        <p class="window-active">
          Active since <When m={m} at={current.start} />; ends{' '}
          <time datetime={new Date(current.end).toISOString()} data-relative="">
            {`in ${formatDuration(current.end - props.now)}`}
          </time>{' '}
          (<When m={m} at={current.end} />)
        </p>
      ) : null}
      {next.length ? (
        <ul class="occurrences" aria-label={active ? 'Next occurrences' : 'Occurrences'}>
          {next.map((o) => (
            <li>
              <When m={m} at={o.start} /> – <When m={m} at={o.end} />
            </li>
          ))}
        </ul>
      ) : null}
      {props.writer ? (
        <DeleteButton ctx={props.ctx} m={m} label={active ? 'Delete (ends it now)' : 'Delete'} />
      ) : null}
    </article>
  );
}

function QuietButtons({ ctx }: { ctx: WebVariables }) {
  return (
    <div class="quiet-buttons">
      {[
        [600, 'Quiet for 10 min'],
        [3600, 'Quiet for 1 h'],
      ].map(([seconds, label]) => (
        <form method="post" action="/maintenance/quiet" class="inline">
          <Csrf ctx={ctx} />
          <input type="hidden" name="duration" value={String(seconds)} />
          <button type="submit" class="secondary">
            {label}
          </button>
        </form>
      ))}
      <small class="muted">Holds every alert of this project from now on.</small>
    </div>
  );
}

export function MaintenancePage(props: MaintenancePageProps) {
  const { ctx, windows, now, writer, done, problem } = props;
  const rows = windows.map((m) => {
    const occurrences = upcoming(m, now, 4);
    const current = occurrences[0] && occurrences[0].start <= now ? occurrences[0] : null;
    return { m, current, next: occurrences.filter((o) => o.start > now).slice(0, 3) };
  });
  const active = rows.filter((r) => r.current !== null);
  const coming = rows.filter((r) => r.current === null && r.next.length > 0);
  return (
    <Page title="Maintenance" ctx={ctx} section="maintenance">
      <h1>Maintenance</h1>
      {done && Object.hasOwn(DONE, done) ? <Notice kind="ok">{DONE[done]}</Notice> : null}
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <p class="muted">
        During a window checks are still watched, but their alerts are held; what is still wrong when it ends
        is sent then.
      </p>
      {writer ? <QuietButtons ctx={ctx} /> : null}
      <h2>Active now</h2>
      {active.length === 0 ? <p>No window is holding alerts.</p> : null}
      {active.map((row) => (
        <WindowRow row={row} props={props} active />
      ))}
      <h2>Coming up</h2>
      {coming.length === 0 ? <p>No windows to come.</p> : null}
      {coming.map((row) => (
        <WindowRow row={row} props={props} active={false} />
      ))}
      {writer ? <WindowForm {...props} /> : null}
    </Page>
  );
}
