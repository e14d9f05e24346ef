// The add/edit channel form as HTML: the kind's fields (from its schema), the JSON box for
// what they cannot hold, and the rule. Errors sit under the fields they are about.
import { EVENT_KINDS, SEVERITIES } from '../../core/types.ts';
import type { Notifier } from '../../notifiers/notifier.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { FieldError, type FieldErrors, invalid } from './alerting-common.tsx';
import { type ConfigField, kindForm, shownValue } from './channels-fields.ts';
import { type ChannelFormState, EVENT_LABELS } from './channels-form.ts';
import { KIND_HINTS, kindLabel } from './channels-hints.ts';

function describedBy(name: string, errors: FieldErrors, hint: boolean): string | undefined {
  const ids = [hint ? `${name}-hint` : '', errors[name]?.length ? `${name}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Hint({ field, state }: { field: ConfigField; state: ChannelFormState }) {
  const parts: string[] = [];
  if (field.hint) parts.push(field.hint);
  if (field.default !== undefined && field.type !== 'boolean')
    parts.push(`default ${shownValue(field, field.default)}`);
  const stored = state.stored[field.name];
  if (field.secret && stored !== undefined) {
    parts.push(
      `stored: ${stored}; leave it as it is to keep it${field.required ? '' : ', clear it to remove it'}`,
    );
  } else if (field.url && stored !== undefined) parts.push('left as shown, the stored URL stays');
  return parts.length ? <small id={`config.${field.name}-hint`}>{parts.join(' · ')}</small> : null;
}

function ConfigInput({
  field,
  state,
  errors,
}: {
  field: ConfigField;
  state: ChannelFormState;
  errors: FieldErrors;
}) {
  const name = `config.${field.name}`;
  const value = state.values[field.name] ?? '';
  const common = {
    id: name,
    name,
    'aria-invalid': invalid(errors, name),
    'aria-describedby': describedBy(name, errors, true),
  };
  if (field.type === 'boolean') {
    return (
      <label>
        <input type="checkbox" value="true" checked={value === 'true'} {...common} />{' '}
        <code>{field.name}</code>
      </label>
    );
  }
  let control: unknown;
  if (field.type === 'enum') {
    control = (
      <select {...common}>
        {field.required || field.default !== undefined ? null : <option value="">(none)</option>}
        {(field.options ?? []).map((o) => (
          <option value={o} selected={o === (value || shownValue(field, field.default))}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (field.type === 'textarea') {
    control = (
      <textarea rows={6} spellcheck={false} {...common}>
        {value}
      </textarea>
    );
  } else {
    control = (
      <input
        type={field.type === 'number' ? 'number' : field.secret ? 'password' : 'text'}
        value={value}
        required={field.required}
        autocomplete={field.secret ? 'new-password' : 'off'}
        spellcheck={false}
        inputmode={field.url ? 'url' : undefined}
        placeholder={
          field.type === 'list'
            ? 'comma-separated'
            : field.default !== undefined
              ? shownValue(field, field.default)
              : undefined
        }
        {...common}
      />
    );
  }
  return (
    <label for={name}>
      <code>{field.name}</code> {field.required ? null : <small class="muted">(optional)</small>}
      {control}
    </label>
  );
}

function ConfigFields({
  notifier,
  state,
  errors,
}: {
  notifier: Notifier<unknown>;
  state: ChannelFormState;
  errors: FieldErrors;
}) {
  const { fields, jsonOnly } = kindForm(notifier);
  const jsonOpen = state.json !== '' || (errors.config_json?.length ?? 0) > 0;
  return (
    <fieldset>
      <legend>{kindLabel(notifier.kind)} settings</legend>
      {errors.config?.length ? <Notice kind="error">{errors.config.join('; ')}</Notice> : null}
      {fields.map((field) => (
        <div class="config-field">
          <ConfigInput field={field} state={state} errors={errors} />
          <Hint field={field} state={state} />
          <FieldError errors={errors} name={`config.${field.name}`} />
        </div>
      ))}
      <details open={jsonOpen}>
        <summary>Advanced: config as JSON</summary>
        <label for="config_json">
          A JSON object added to the fields above (its values win over theirs)
          {jsonOnly.length ? `; the place for ${jsonOnly.join(', ')}` : ''}.
          <textarea
            id="config_json"
            name="config_json"
            rows={6}
            spellcheck={false}
            aria-invalid={invalid(errors, 'config_json')}
            aria-describedby={describedBy('config_json', errors, false)}
          >
            {state.json}
          </textarea>
        </label>
        <FieldError errors={errors} name="config_json" />
      </details>
    </fieldset>
  );
}

function RuleFields({ state, errors }: { state: ChannelFormState; errors: FieldErrors }) {
  return (
    <fieldset>
      <legend>Which alerts it takes</legend>
      <fieldset aria-describedby={describedBy('events', errors, false)}>
        <legend>Events</legend>
        {EVENT_KINDS.map((e) => (
          <label>
            <input type="checkbox" name="events" value={e} checked={state.events.includes(e)} />{' '}
            {EVENT_LABELS[e]}
          </label>
        ))}
        <FieldError errors={errors} name="events" />
      </fieldset>
      <div class="grid">
        {(['min_severity', 'max_severity'] as const).map((name) => (
          <label for={name}>
            {name === 'min_severity' ? 'Lowest check severity' : 'Highest check severity'}
            <select id={name} name={name} aria-invalid={invalid(errors, name)}>
              {SEVERITIES.map((s) => (
                <option
                  value={s}
                  selected={s === (name === 'min_severity' ? state.minSeverity : state.maxSeverity)}
                >
                  {s}
                </option>
              ))}
            </select>
            <FieldError errors={errors} name={name} />
          </label>
        ))}
      </div>
      <label for="tags">
        Only checks with one of these tags <small class="muted">(comma-separated; empty: every check)</small>
        <input id="tags" name="tags" value={state.tags} aria-invalid={invalid(errors, 'tags')} />
      </label>
      <FieldError errors={errors} name="tags" />
    </fieldset>
  );
}

export function ChannelFormPage(props: {
  ctx: WebVariables;
  notifier: Notifier<unknown>;
  state: ChannelFormState;
  errors: FieldErrors;
  /** the channel being edited; absent when adding one */
  channelId?: string;
}) {
  const { ctx, notifier, state, errors, channelId } = props;
  const label = kindLabel(notifier.kind);
  const title = channelId ? `Edit ${state.name || 'channel'}` : `Add ${label} channel`;
  const intro = Object.hasOwn(KIND_HINTS, notifier.kind) ? KIND_HINTS[notifier.kind]!.intro : '';
  const failed = Object.values(errors).some((m) => m.length > 0);
  return (
    <Page title={title} ctx={ctx} section="channels">
      <h1>{title}</h1>
      <p class="muted">{intro}</p>
      {failed ? <Notice kind="error">The channel was not saved: see the messages below.</Notice> : null}
      <form method="post" action={channelId ? `/channels/${channelId}` : '/channels'} class="channel-form">
        <Csrf ctx={ctx} />
        {channelId ? null : <input type="hidden" name="kind" value={notifier.kind} />}
        <label for="name">
          Name
          <input
            id="name"
            name="name"
            value={state.name}
            required
            maxlength={200}
            aria-invalid={invalid(errors, 'name')}
          />
        </label>
        <FieldError errors={errors} name="name" />
        <ConfigFields notifier={notifier} state={state} errors={errors} />
        <RuleFields state={state} errors={errors} />
        <button type="submit">{channelId ? 'Save' : 'Add channel'}</button> <a href="/channels">Cancel</a>
      </form>
    </Page>
  );
}
