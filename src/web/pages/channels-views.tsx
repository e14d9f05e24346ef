// The channel pages that are not the form: the list with each channel's rule in words and
// broken state, the kind chooser, a test alert's outcome, the delete confirmation, and the
// one page that shows a generated signing secret.
import type { SendResult } from '../../notifiers/notifier.ts';
import { notifiers } from '../../notifiers/registry.ts';
import type { Channel } from '../../store/store.ts';
import { Csrf, Notice, Page } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { Instant } from './alerting-common.tsx';
import { EVENT_LABELS } from './channels-form.ts';
import { KIND_HINTS, kindLabel } from './channels-hints.ts';

/** A channel's rule in words: which events, and which checks by severity and tags. */
export function ruleWords(ch: Channel): [string, string] {
  const events = ch.events.map((e) => EVENT_LABELS[e]?.split(':')[0] ?? e).join(', ');
  const { minSeverity: min, maxSeverity: max } = ch;
  let severity = `${min} to ${max}`;
  if (min === 'low' && max === 'critical') severity = 'any severity';
  else if (min === max) severity = `${min} only`;
  else if (max === 'critical') severity = `${min} and above`;
  else if (min === 'low') severity = `${max} and below`;
  const tags = ch.tags.length === 0 ? 'any tags' : `tagged ${ch.tags.join(' or ')}`;
  return [`Takes: ${events}`, `Checks: ${severity}, ${tags}`];
}

function ChannelCard({ ctx, ch, writer }: { ctx: WebVariables; ch: Channel; writer: boolean }) {
  const [events, scope] = ruleWords(ch);
  return (
    <article class="channel" id={`channel-${ch.id}`}>
      <header>
        <strong>{ch.name}</strong> <span class="muted">{kindLabel(ch.kind)}</span>
      </header>
      <p>
        {events}
        <br />
        {scope}
      </p>
      {ch.brokenReason !== null ? (
        <div role="alert" class="channel-broken">
          <strong>Broken</strong>
          {ch.brokenAt !== null ? (
            <>
              {' since '}
              <Instant at={ch.brokenAt} />
            </>
          ) : null}
          : {ch.brokenReason}
          <br />
          <small>Its alerts fail until the settings are fixed or a test alert gets through.</small>
        </div>
      ) : null}
      <p>
        <small class="muted">
          Last change <Instant at={ch.updatedAt} />
        </small>
      </p>
      {writer ? (
        <footer class="channel-actions">
          <a href={`/channels/${ch.id}/edit`} class="button-link secondary">
            Edit
          </a>
          <form
            method="post"
            action={`/channels/${ch.id}/test`}
            hx-post={`/channels/${ch.id}/test`}
            hx-target={`#test-result-${ch.id}`}
            hx-swap="innerHTML"
            class="inline"
          >
            <Csrf ctx={ctx} />
            <button type="submit" class="secondary">
              Send a test alert
            </button>
          </form>
          <a href={`/channels/${ch.id}/delete`} class="button-link secondary">
            Delete
          </a>
        </footer>
      ) : null}
      <div id={`test-result-${ch.id}`} aria-live="polite"></div>
    </article>
  );
}

const DONE: Record<string, string> = {
  created: 'Channel added.',
  updated: 'Channel saved.',
  deleted: 'Channel deleted.',
};

export function ChannelsPage(props: {
  ctx: WebVariables;
  channels: Channel[];
  writer: boolean;
  done?: string | undefined;
}) {
  const { ctx, channels, writer, done } = props;
  return (
    <Page title="Channels" ctx={ctx} section="channels">
      <h1>Channels</h1>
      {done && Object.hasOwn(DONE, done) ? <Notice kind="ok">{DONE[done]}</Notice> : null}
      <p class="muted">Where alerts go, and which alerts each place takes.</p>
      {writer ? (
        <p>
          <a href="/channels/new" class="button-link">
            Add channel
          </a>
        </p>
      ) : null}
      {channels.length === 0 ? <p>No channels yet: alerts are recorded but go nowhere.</p> : null}
      {channels.map((ch) => (
        <ChannelCard ctx={ctx} ch={ch} writer={writer} />
      ))}
    </Page>
  );
}

export function KindChooserPage({ ctx, error }: { ctx: WebVariables; error?: string }) {
  return (
    <Page title="Add channel" ctx={ctx} section="channels">
      <h1>Add channel</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p>Choose where the alerts should go.</p>
      <ul class="kind-list">
        {Object.keys(notifiers).map((kind) => (
          <li>
            <a href={`/channels/new?kind=${encodeURIComponent(kind)}`}>{kindLabel(kind)}</a>{' '}
            <small class="muted">{Object.hasOwn(KIND_HINTS, kind) ? KIND_HINTS[kind]!.intro : ''}</small>
          </li>
        ))}
      </ul>
      <p>
        <a href="/channels">Back to the channels</a>
      </p>
    </Page>
  );
}

/** What a test alert did, as the fragment htmx swaps in (and the body of the no-JS page). */
export function TestOutcome({
  ch,
  result,
  wasBroken,
}: {
  ch: Channel;
  result: SendResult;
  wasBroken: boolean;
}) {
  if (result.outcome === 'delivered') {
    return (
      <Notice kind="ok">
        Test alert delivered to “{ch.name}”.
        {wasBroken ? ' The channel is no longer marked broken.' : ''}
        {result.detail ? ` ${result.detail}` : ''}
      </Notice>
    );
  }
  return (
    <Notice kind="error">
      {result.outcome === 'failed'
        ? 'The test alert failed; the provider said: '
        : 'The test alert did not get through (a temporary problem; test alerts are not retried): '}
      <span class="provider-error">{result.error}</span>
    </Notice>
  );
}

export function TestResultPage(props: {
  ctx: WebVariables;
  ch: Channel;
  result: SendResult;
  wasBroken: boolean;
}) {
  return (
    <Page title={`Test alert: ${props.ch.name}`} ctx={props.ctx} section="channels">
      <h1>Test alert to “{props.ch.name}”</h1>
      <TestOutcome ch={props.ch} result={props.result} wasBroken={props.wasBroken} />
      <p>
        <a href="/channels">Back to the channels</a>
      </p>
    </Page>
  );
}

export function ConfirmDeletePage({ ctx, ch }: { ctx: WebVariables; ch: Channel }) {
  return (
    <Page title={`Delete ${ch.name}`} ctx={ctx} section="channels">
      <h1>Delete “{ch.name}”?</h1>
      <p>
        It stops getting alerts at once; alerts still queued for it are dropped as failed. Checks that name it
        keep their other channels.
      </p>
      <form method="post" action={`/channels/${ch.id}/delete`}>
        <Csrf ctx={ctx} />
        <button type="submit" class="contrast">
          Delete channel
        </button>{' '}
        <a href="/channels">Cancel</a>
      </form>
    </Page>
  );
}

/** After adding a webhook without a secret: the one time its generated secret is shown. */
export function CreatedWithSecretPage({
  ctx,
  ch,
  secret,
}: {
  ctx: WebVariables;
  ch: Channel;
  secret: string;
}) {
  return (
    <Page title="Channel added" ctx={ctx} section="channels">
      <h1>Channel “{ch.name}” added</h1>
      <Notice kind="ok">
        vigil generated its signing secret. It is shown only now: keep it to check the X-Vigil-Signature of
        each request.
      </Notice>
      <p>
        <code class="secret">{secret}</code>{' '}
        <button type="button" class="secondary outline" data-copy={secret}>
          Copy
        </button>
      </p>
      <p>
        <a href="/channels">Back to the channels</a>
      </p>
    </Page>
  );
}
