// The form for a new maintenance window: one-off (start and end as wall-clock times in a
// timezone) or recurring (cron, minutes, timezone), for the whole project, some tags or some
// checks. Without JavaScript both kinds' fields show; the radio buttons say which apply.
import { Csrf } from '../layout.tsx';
import { FieldError, invalid } from './alerting-common.tsx';
import type { MaintenancePageProps } from './maintenance-views.tsx';

let zones: string[] | null = null;
function timezones(): string[] {
  zones ??= ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
  return zones;
}

function TextField(props: {
  name: string;
  label: string;
  value: string;
  errors: MaintenancePageProps['errors'];
  type?: string;
  hint?: string;
  list?: string;
}) {
  const { name, label, value, errors, type, hint, list } = props;
  return (
    <label for={`window-${name}`}>
      {label}
      <input
        id={`window-${name}`}
        name={name}
        type={type ?? 'text'}
        value={value}
        list={list}
        aria-invalid={invalid(errors, name)}
        aria-describedby={errors[name]?.length ? `${name}-error` : undefined}
      />
      {hint ? <small>{hint}</small> : null}
      <FieldError errors={errors} name={name} />
    </label>
  );
}

export function WindowForm({ ctx, form, errors, checks }: MaintenancePageProps) {
  return (
    <section>
      <h2>New window</h2>
      <form method="post" action="/maintenance" class="window-form">
        <Csrf ctx={ctx} />
        <TextField name="name" label="Name" value={form.name} errors={errors} />
        <fieldset>
          <legend>When</legend>
          <label>
            <input type="radio" name="kind" value="once" checked={form.kind === 'once'} /> Once, from start to
            end
          </label>
          <div class="grid">
            <TextField
              name="starts"
              label="Starts"
              type="datetime-local"
              value={form.starts}
              errors={errors}
            />
            <TextField name="ends" label="Ends" type="datetime-local" value={form.ends} errors={errors} />
          </div>
          <label>
            <input type="radio" name="kind" value="recurring" checked={form.kind === 'recurring'} /> Recurring
          </label>
          <div class="grid">
            <TextField
              name="cron"
              label="Starts (cron)"
              value={form.cron}
              errors={errors}
              hint='e.g. "0 2 * * 0": Sundays at 02:00'
            />
            <TextField
              name="duration"
              label="Lasts (minutes)"
              type="number"
              value={form.duration}
              errors={errors}
            />
          </div>
          <TextField
            name="timezone"
            label="Timezone"
            value={form.timezone}
            errors={errors}
            list="timezones"
            hint="the times above are read in it (daylight saving included); default UTC"
          />
          <datalist id="timezones">
            {timezones().map((z) => (
              <option value={z} />
            ))}
          </datalist>
        </fieldset>
        <fieldset>
          <legend>Which checks</legend>
          <label>
            <input type="radio" name="scope" value="project" checked={form.scope === 'project'} /> The whole
            project
          </label>
          <label>
            <input type="radio" name="scope" value="tags" checked={form.scope === 'tags'} /> Checks with any
            of these tags
          </label>
          <TextField name="tags" label="Tags (comma-separated)" value={form.tags} errors={errors} />
          <label>
            <input type="radio" name="scope" value="checks" checked={form.scope === 'checks'} /> These checks
          </label>
          <div class="window-checks">
            {checks.length === 0 ? <small class="muted">This project has no checks yet.</small> : null}
            {checks.map((check) => (
              <label>
                <input
                  type="checkbox"
                  name="checks"
                  value={check.id}
                  checked={form.checks.includes(check.id)}
                />{' '}
                {check.name}
              </label>
            ))}
          </div>
          <FieldError errors={errors} name="checks" />
        </fieldset>
        <button type="submit">Add window</button>
      </form>
    </section>
  );
}
