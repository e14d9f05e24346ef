// What issue 6 adds to the check pages: the form's kind and probe fields, and on the detail page
// the probe, the success criteria, and the source a discovered check belongs to.

import { maskProbeHeaders } from '../../probes/probe-headers.ts';
import { PROBE_METHODS } from '../../probes/probe-rules.ts';
import type { Check, Source } from '../../store/store.ts';
import { utcText } from './checks-common.tsx';
import type { FieldErrors, FormValues } from './checks-form-input.ts';
import { Err, invalid } from './checks-form-parts.tsx';

interface FieldsProps {
  v: FormValues;
  errors: FieldErrors;
  /** the source that owns the check's kind; null when the team does */
  managedBy: string | null;
}

/** Push or http, and an http check's request. Hidden by CSS while "push" is chosen. */
export function KindAndProbeFields({ v, errors, managedBy }: FieldsProps) {
  return (
    <>
      <fieldset disabled={managedBy !== null}>
        <legend>How vigil hears from it</legend>
        <label>
          <input type="radio" name="check_kind" value="push" checked={v.check_kind === 'push'} />
          The job pings vigil
        </label>
        <label>
          <input type="radio" name="check_kind" value="http" checked={v.check_kind === 'http'} />
          vigil probes a URL (HTTP), once per period
        </label>
        <Err errors={errors} field="check_kind" />
      </fieldset>
      <fieldset class="if-http" disabled={managedBy !== null}>
        <legend>Probe</legend>
        <div class="grid">
          <label>
            Method
            <select name="probe_method" {...invalid(errors, 'probe_method')}>
              {PROBE_METHODS.map((m) => (
                <option value={m} selected={v.probe_method === m}>
                  {m}
                </option>
              ))}
            </select>
            <Err errors={errors} field="probe_method" />
          </label>
          <label>
            URL
            <input
              type="text"
              name="probe_url"
              value={v.probe_url}
              placeholder="https://example.com/health"
              maxlength={2048}
              {...invalid(errors, 'probe_url')}
            />
            <Err errors={errors} field="probe_url" />
          </label>
        </div>
        <div class="grid">
          <label>
            Expected status
            <input
              type="text"
              name="probe_expected"
              value={v.probe_expected}
              placeholder="200-299"
              {...invalid(errors, 'probe_expected')}
            />
            <Err errors={errors} field="probe_expected" />
            <small>Codes or ranges, separated by commas: 200-299, 301.</small>
          </label>
          <label>
            Timeout (seconds)
            <input
              type="text"
              inputmode="numeric"
              name="probe_timeout"
              value={v.probe_timeout}
              maxlength={3}
              {...invalid(errors, 'probe_timeout')}
            />
            <Err errors={errors} field="probe_timeout" />
            <small>1-60, and shorter than the period.</small>
          </label>
        </div>
        <div class="grid">
          <label>
            Keyword
            <input
              type="text"
              name="probe_keyword"
              value={v.probe_keyword}
              maxlength={1000}
              {...invalid(errors, 'probe_keyword')}
            />
            <Err errors={errors} field="probe_keyword" />
            <small>Empty: the body is not looked at.</small>
          </label>
          <label>
            The body must
            <select name="probe_keyword_mode">
              <option value="contains" selected={v.probe_keyword_mode === 'contains'}>
                contain the keyword
              </option>
              <option value="not_contains" selected={v.probe_keyword_mode === 'not_contains'}>
                not contain the keyword
              </option>
            </select>
          </label>
        </div>
        <label>
          Headers
          <textarea
            name="probe_headers"
            rows={2}
            placeholder="Authorization: Bearer …"
            {...invalid(errors, 'probe_headers')}
          >
            {v.probe_headers}
          </textarea>
          <Err errors={errors} field="probe_headers" />
          <small>
            One “Name: value” per line. Values of secret-looking headers are shown masked; leave them as they
            are to keep them.
          </small>
        </label>
        <label>
          Request body
          <textarea name="probe_body" rows={2} {...invalid(errors, 'probe_body')}>
            {v.probe_body}
          </textarea>
          <Err errors={errors} field="probe_body" />
        </label>
        <small>
          Redirects are not followed: list 301 or 302 among the expected statuses if one is the right answer.
        </small>
      </fieldset>
    </>
  );
}

export function SuccessCriteriaField({ v, errors }: Omit<FieldsProps, 'managedBy'>) {
  return (
    <label>
      Success criteria
      <textarea name="success_criteria" rows={2} {...invalid(errors, 'success_criteria')}>
        {v.success_criteria}
      </textarea>
      <Err errors={errors} field="success_criteria" />
      <small>What a good run looks like, in your words; shown with the check.</small>
    </label>
  );
}

/** On the form of a discovered check: why some fields cannot be changed. */
export function ManagedNotice({ source }: { source: string }) {
  return (
    <p class="notice" role="note">
      Found by the source <strong>{source}</strong>: its name, slug, schedule and kind come from there and are
      not changed here. Everything else is yours to set.
    </p>
  );
}

/** On the detail page: the probe, the success criteria and where a discovered check came from. */
export function CheckSetup({ check, source }: { check: Check; source: Source | null }) {
  const p = check.probe;
  if (p === null && !check.successCriteria && check.origin === null && check.archivedAt === null) return null;
  return (
    <section id="check-setup">
      {check.origin !== null ? (
        <p>
          Found by the source <a href="/sources">{source?.name ?? check.origin.sourceId}</a>
          {check.origin.sourceKey ? <span class="muted"> (job {check.origin.sourceKey})</span> : null}; its
          name, slug and schedule are managed there.
        </p>
      ) : null}
      {check.origin !== null && typeof check.origin.details.command === 'string' ? (
        <p>
          Runs <code class="job-command">{check.origin.details.command}</code>
          {typeof check.origin.details.database === 'string' ? (
            <span class="muted">
              {' '}
              in {check.origin.details.database}
              {typeof check.origin.details.username === 'string'
                ? ` as ${check.origin.details.username}`
                : ''}
            </span>
          ) : null}
        </p>
      ) : null}
      {check.archivedAt !== null ? (
        <p>
          <strong>Archived</strong> {utcText(check.archivedAt)}: its job left the source. The history is kept.
        </p>
      ) : null}
      {p !== null ? (
        <table class="compact">
          <caption>Probe</caption>
          <tbody>
            <tr>
              <th scope="row">Request</th>
              <td>
                <code>
                  {p.method} {p.url}
                </code>
              </td>
            </tr>
            <tr>
              <th scope="row">Expected</th>
              <td>
                status {p.expectedStatus.join(', ')}
                {p.keyword !== null
                  ? `, body ${p.keywordMode === 'contains' ? 'contains' : 'does not contain'} “${p.keyword}”`
                  : ''}
                , within {p.timeout} s
              </td>
            </tr>
            {Object.keys(p.headers).length > 0 ? (
              <tr>
                <th scope="row">Headers</th>
                <td>
                  {Object.entries(maskProbeHeaders(p.headers)).map(([name, value]) => (
                    <div>
                      <code>
                        {name}: {value}
                      </code>
                    </div>
                  ))}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
      {check.successCriteria ? (
        <p>
          <strong>Success criteria:</strong> {check.successCriteria}
        </p>
      ) : null}
    </section>
  );
}
