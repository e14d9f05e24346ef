// One check: what it is and how it is doing (the header, live), how to ping it, and its history.
// Plus the confirmation page before deleting it.
import { describeSchedule, formatDuration } from '../../core/schedule.ts';
import { formatUptime, uptime } from '../../core/uptime.ts';
import type { Check, Project, Source, Store } from '../../store/store.ts';
import { Csrf, Page } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { nextExpected, StatusWord, TagList, utcText, When } from './checks-common.tsx';
import {
  History,
  type HistoryData,
  liveAttrs,
  loadHistory,
  loadPingLog,
  PingLog,
  type PingLogData,
} from './checks-history.tsx';
import { CheckSetup } from './checks-probe.tsx';
import { PingUrls } from './checks-snippets.tsx';

const DAY = 86_400_000;
const RANGES: [string, number][] = [
  ['24 h', DAY],
  ['7 d', 7 * DAY],
  ['30 d', 30 * DAY],
  ['90 d', 90 * DAY],
];
// More flips than this in 90 days is a check flapping every half hour; uptime then counts
// only the oldest ones, which errs towards the record it had before.
const UPTIME_FLIPS = 5000;

export interface HeaderData {
  uptimes: { label: string; text: string }[];
}

export async function loadHeader(store: Store, check: Check, now: number): Promise<HeaderData> {
  const longest = RANGES.at(-1)![1];
  // One read for every range: the flips of the longest, plus the one before it for its start.
  const flips = await store.flipsForUptime(check.id, now - longest, now, UPTIME_FLIPS);
  return {
    uptimes: RANGES.map(([label, ms]) => ({
      label,
      text: formatUptime(uptime(flips, now - ms, now, check.createdAt).ratio),
    })),
  };
}

interface HeaderProps {
  check: Check;
  data: HeaderData;
  ctx: WebVariables;
  writable: boolean;
  now: number;
}

export function CheckHeader({ check, data, ctx, writable, now }: HeaderProps) {
  const s = check.schedule;
  const running = Object.keys(check.openRuns).length;
  return (
    <section id="check-header" {...liveAttrs(check, `/checks/${check.id}/header`)}>
      <hgroup>
        <h1>{check.name}</h1>
        <p>
          <StatusWord status={check.status} /> {running > 0 ? <span class="muted">· running</span> : null} ·{' '}
          {describeSchedule(check.schedule)} · <code>{check.slug}</code>
        </p>
      </hgroup>
      {check.description ? <p>{check.description}</p> : null}
      {check.tags.length > 0 ? (
        <p>
          <TagList tags={check.tags} />
        </p>
      ) : null}
      <table class="compact">
        <tbody>
          <tr>
            <th scope="row">Last ping</th>
            <td>
              <When at={check.lastPingAt} empty="never" />
            </td>
            <th scope="row">Next due</th>
            <td>
              <When at={nextExpected(check, now)} />
            </td>
          </tr>
          <tr>
            <th scope="row">Status since</th>
            <td>{utcText(check.statusChangedAt)}</td>
            <th scope="row">Grace</th>
            <td>{s.kind === 'none' ? '—' : formatDuration(s.grace * 1000)}</td>
          </tr>
          <tr>
            <th scope="row">Severity</th>
            <td>{check.severity}</td>
            <th scope="row">Failures</th>
            <td>
              {check.failureCount} of {check.failureThreshold} before down
            </td>
          </tr>
          <tr>
            <th scope="row">Max runtime</th>
            <td>{check.maxRuntime === null ? '—' : formatDuration(check.maxRuntime * 1000)}</td>
            <th scope="row">Reminders</th>
            <td>
              {check.realertEvery === null ? 'off' : `every ${formatDuration(check.realertEvery * 1000)}`}
            </td>
          </tr>
        </tbody>
      </table>
      <p>
        Uptime:{' '}
        {data.uptimes.map((u) => (
          <span class="nowrap">
            {u.label} <strong>{u.text}</strong>{' '}
          </span>
        ))}
      </p>
      {writable ? <Actions check={check} ctx={ctx} /> : null}
    </section>
  );
}

function Actions({ check, ctx }: { check: Check; ctx: WebVariables }) {
  const resumable = check.status === 'paused' || (check.status === 'down' && check.manualResume);
  const action = resumable ? 'resume' : 'pause';
  return (
    <div class="actions">
      <a href={`/checks/${check.id}/edit`}>Edit</a>{' '}
      <form method="post" action={`/checks/${check.id}/${action}`} class="inline">
        <Csrf ctx={ctx} />
        <button type="submit" class="secondary">
          {resumable ? 'Resume' : 'Pause'}
        </button>
      </form>{' '}
      <a href={`/checks/${check.id}/delete`}>Delete</a>
    </div>
  );
}

export interface DetailProps {
  ctx: WebVariables;
  check: Check;
  project: Project;
  baseUrl: string;
  now: number;
  writable: boolean;
  header: HeaderData;
  log: PingLogData;
  history: HistoryData;
  /** the source that discovered the check, if one did */
  source: Source | null;
}

export async function loadDetail(store: Store, check: Check, now: number) {
  const [header, log, history, source] = await Promise.all([
    loadHeader(store, check, now),
    loadPingLog(store, check),
    loadHistory(store, check),
    check.origin ? store.getSource(check.origin.sourceId) : null,
  ]);
  return { header, log, history, source };
}

export function DetailPage(p: DetailProps) {
  return (
    <Page title={p.check.name} ctx={p.ctx} events={`/api/v1/checks/${p.check.id}/events`} section="checks">
      <p>
        <a href="/checks">« All checks</a>
      </p>
      <CheckHeader check={p.check} data={p.header} ctx={p.ctx} writable={p.writable} now={p.now} />
      <CheckSetup check={p.check} source={p.source} />
      {/* an http check is probed by vigil: nobody pings it */}
      {p.check.probe === null && <PingUrls check={p.check} project={p.project} baseUrl={p.baseUrl} />}
      <PingLog check={p.check} data={p.log} />
      <div id="ping-body"></div>
      <History check={p.check} data={p.history} ctx={p.ctx} writable={p.writable} />
    </Page>
  );
}

export function DeletePage({ ctx, check }: { ctx: WebVariables; check: Check }) {
  return (
    <Page title={`Delete ${check.name}`} ctx={ctx} section="checks">
      <article>
        <header>
          <h1>Delete “{check.name}”?</h1>
        </header>
        <p>
          Its pings, status changes and incidents are deleted with it, and its ping URLs stop working. This
          cannot be undone; pausing it keeps the history.
        </p>
        <footer>
          <form method="post" action={`/checks/${check.id}/delete`} class="inline">
            <Csrf ctx={ctx} />
            <button type="submit">Delete the check</button>
          </form>{' '}
          <a href={`/checks/${check.id}`}>Cancel</a>
        </footer>
      </article>
    </Page>
  );
}
