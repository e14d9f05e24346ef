// The form that creates and edits a check. It posts and redirects without JavaScript; with htmx
// the schedule fields refresh the preview of the next runs as they are typed.
import type { Child } from 'hono/jsx';
import { SEVERITIES } from '../../core/types.ts';
import type { Channel } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { type FieldErrors, type FormValues, UNITS, type Unit } from './checks-form-input.ts';
import { Err, invalid } from './checks-form-parts.tsx';
import { Preview, type PreviewResult } from './checks-preview.tsx';
import { KindAndProbeFields, ManagedNotice, SuccessCriteriaField } from './checks-probe.tsx';

// Intl has no "UTC" among its zones, and it is what most servers run in.
const TIMEZONES = ['UTC', ...Intl.supportedValuesOf('timeZone')];

const PREVIEW_ATTRS = {
  'hx-get': '/checks/preview',
  'hx-trigger': 'input changed delay:300ms, change',
  'hx-include': 'closest form',
  'hx-target': '#preview',
  'hx-swap': 'outerHTML',
};

export interface FormPageProps {
  ctx: WebVariables;
  mode: 'create' | 'edit';
  /** where the form posts, and the detail page to go back to when editing */
  action: string;
  cancel: string;
  title: string;
  values: FormValues;
  errors: FieldErrors;
  channels: Channel[];
  preview: PreviewResult;
  /** the source that discovered the check and owns its name, slug, schedule and kind */
  managedBy?: string | null;
}

function UnitSelect({ name, value, extra }: { name: string; value: Unit; extra?: Record<string, string> }) {
  return (
    <select name={name} aria-label="unit" {...extra}>
      {(Object.keys(UNITS) as Unit[]).map((u) => (
        <option value={u} selected={u === value}>
          {u}
        </option>
      ))}
    </select>
  );
}

interface DurationProps {
  label: string;
  field: 'period' | 'grace' | 'max_runtime' | 'realert_every';
  unitField: 'period_unit' | 'grace_unit' | 'max_runtime_unit' | 'realert_unit';
  v: FormValues;
  errors: FieldErrors;
  hint?: Child;
  live?: boolean;
  cls?: string;
}

function Duration({ label, field, unitField, v, errors, hint, live, cls }: DurationProps) {
  const extra = live ? PREVIEW_ATTRS : {};
  return (
    <div class={cls}>
      <label for={field}>{label}</label>
      {/* biome-ignore lint/a11y/noRedundantRoles: Pico lays out input groups by this role */}
      <fieldset role="group">
        <input
          type="text"
          inputmode="decimal"
          id={field}
          name={field}
          value={v[field]}
          maxlength={20}
          {...invalid(errors, field)}
          {...extra}
        />
        <UnitSelect name={unitField} value={v[unitField]} extra={extra} />
      </fieldset>
      <Err errors={errors} field={field} />
      {hint ? <small>{hint}</small> : null}
    </div>
  );
}

export function CheckFormPage(p: FormPageProps) {
  const { values: v, errors } = p;
  const failed = Object.keys(errors).length > 0;
  const managedBy = p.managedBy ?? null;
  const managed = managedBy !== null;
  return (
    <Page title={p.title} ctx={p.ctx} section="checks">
      <p>
        <a href={p.cancel}>« Back</a>
      </p>
      <h1>{p.title}</h1>
      {failed ? (
        <Notice kind="error">Some fields need another look: see the messages below them.</Notice>
      ) : null}
      {managed ? <ManagedNotice source={managedBy} /> : null}
      <form method="post" action={p.action} class="check-form" novalidate>
        <Csrf ctx={p.ctx} />
        <label>
          Name
          <input
            type="text"
            name="name"
            value={v.name}
            maxlength={200}
            readonly={managed}
            {...invalid(errors, 'name')}
          />
          <Err errors={errors} field="name" />
        </label>
        <label>
          Slug
          <input
            type="text"
            name="slug"
            value={v.slug}
            maxlength={100}
            placeholder={p.mode === 'create' ? 'made from the name when left empty' : undefined}
            readonly={managed}
            {...invalid(errors, 'slug')}
          />
          <Err errors={errors} field="slug" />
          <small>The last part of the ping URL by slug: lowercase letters, digits, - _ . and /.</small>
        </label>
        <label>
          Description
          <textarea name="description" rows={2} {...invalid(errors, 'description')}>
            {v.description}
          </textarea>
          <Err errors={errors} field="description" />
        </label>
        <SuccessCriteriaField v={v} errors={errors} />
        <label>
          Tags
          <input
            type="text"
            name="tags"
            value={v.tags}
            placeholder="backup, db"
            {...invalid(errors, 'tags')}
          />
          <Err errors={errors} field="tags" />
          <small>Separated by commas.</small>
        </label>

        <KindAndProbeFields v={v} errors={errors} managedBy={managedBy} />
        {/* a discovered check's schedule is its source's: shown, not sent */}
        <fieldset disabled={managed}>
          <fieldset>
            <legend>Schedule</legend>
            {(
              [
                ['interval', 'Every so often'],
                ['cron', 'Cron expression'],
                ['none', 'None (failures only)'],
              ] as const
            ).map(([kind, label]) => (
              <label>
                <input type="radio" name="kind" value={kind} checked={v.kind === kind} {...PREVIEW_ATTRS} />
                {label}
              </label>
            ))}
            <Err errors={errors} field="kind" />
          </fieldset>
          <Duration
            label="Period"
            field="period"
            unitField="period_unit"
            v={v}
            errors={errors}
            live
            cls="if-interval"
          />
          <div class="grid if-cron">
            <label>
              Cron expression
              <input
                type="text"
                name="expression"
                value={v.expression}
                placeholder="0 2 * * *"
                maxlength={200}
                {...invalid(errors, 'expression')}
                {...PREVIEW_ATTRS}
              />
              <Err errors={errors} field="expression" />
            </label>
            <label>
              Timezone
              <input
                type="text"
                name="timezone"
                value={v.timezone}
                list="timezones"
                maxlength={64}
                {...invalid(errors, 'timezone')}
                {...PREVIEW_ATTRS}
              />
              <Err errors={errors} field="timezone" />
            </label>
          </div>
          <datalist id="timezones">
            {TIMEZONES.map((tz) => (
              <option value={tz} />
            ))}
          </datalist>
          <Duration
            label="Grace"
            field="grace"
            unitField="grace_unit"
            v={v}
            errors={errors}
            cls="if-scheduled"
            hint="How long after the expected time a ping may still come before the check is down."
          />
          <Preview result={p.preview} />
        </fieldset>

        <div class="grid">
          <Duration
            label="Max runtime"
            field="max_runtime"
            unitField="max_runtime_unit"
            v={v}
            errors={errors}
            hint="A started run must end within this. Empty: no limit."
          />
          <Duration
            label="Remind every"
            field="realert_every"
            unitField="realert_unit"
            v={v}
            errors={errors}
            hint="While the check stays down. Empty: no reminders."
          />
        </div>
        <div class="grid">
          <label>
            Failures before down
            <input
              type="text"
              inputmode="numeric"
              name="failure_threshold"
              value={v.failure_threshold}
              maxlength={3}
              {...invalid(errors, 'failure_threshold')}
            />
            <Err errors={errors} field="failure_threshold" />
          </label>
          <label>
            Severity
            <select name="severity" {...invalid(errors, 'severity')}>
              {SEVERITIES.map((s) => (
                <option value={s} selected={v.severity === s}>
                  {s}
                </option>
              ))}
            </select>
            <Err errors={errors} field="severity" />
          </label>
        </div>
        <fieldset>
          <legend>Channels</legend>
          {p.channels.length === 0 ? (
            <small class="muted">This project has no channels yet.</small>
          ) : (
            <>
              <small>Always send this check’s alerts to these, whatever their rules.</small>
              {p.channels.map((ch) => (
                <label>
                  <input type="checkbox" name="channels" value={ch.id} checked={v.channels.includes(ch.id)} />
                  {ch.name} <small class="muted">{ch.kind}</small>
                </label>
              ))}
            </>
          )}
          <Err errors={errors} field="channels" />
        </fieldset>
        <button type="submit">{p.mode === 'create' ? 'Create the check' : 'Save'}</button>
      </form>
    </Page>
  );
}
