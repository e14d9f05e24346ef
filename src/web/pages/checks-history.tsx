// A check's history on its detail page: the ping log with the duration chart, a ping's full
// body, and the status changes and incidents. Each section re-renders alone when the check changes.
import type { Check, FlipRow, Incident, Ping, Store } from '../../store/store.ts';
import { Csrf } from '../layout.tsx';
import type { WebVariables } from '../session.ts';
import { CHART_RUNS, DurationChart, formatMs } from './checks-chart.tsx';
import { StatusWord, utcText, When } from './checks-common.tsx';

export const LOG_SIZE = 50;
const PREVIEW_CHARS = 100;
const FLIPS_SHOWN = 50;
const INCIDENTS_SHOWN = 20;

/** Attributes that make a section re-fetch itself from `url` on each event of the check. */
export function liveAttrs(check: Check, url: string) {
  return { 'data-live-check': check.id, 'hx-get': url, 'hx-trigger': 'live', 'hx-swap': 'outerHTML' };
}

export interface PingLogData {
  pings: Ping[];
  /** the newest pings, for the chart; only on the first page */
  runs: Ping[] | null;
  before: number | undefined;
}

export async function loadPingLog(store: Store, check: Check, before?: number): Promise<PingLogData> {
  const pings = await store.listPings(check.id, { limit: LOG_SIZE, after: before });
  // Durations come only with end pings, so the chart reads further back than the log shows.
  const runs = before === undefined ? await store.listPings(check.id, { limit: CHART_RUNS * 4 }) : null;
  return { pings, runs, before };
}

function preview(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS)}…` : flat;
}

function bodyUrl(check: Check, n: number) {
  return `/checks/${check.id}/pings/${n}`;
}

function PingRow({ check, ping }: { check: Check; ping: Ping }) {
  return (
    <tr>
      <td class="nowrap">
        <When at={ping.at} />
      </td>
      <td>{ping.kind}</td>
      <td>{ping.exitStatus ?? ''}</td>
      <td>
        {ping.source ?? ''} <small class="muted">{ping.method}</small>
      </td>
      <td class="nowrap">{ping.durationMs === null ? '' : formatMs(ping.durationMs)}</td>
      <td>
        {ping.body ? (
          <>
            <code>{preview(ping.body)}</code>{' '}
            <a
              href={bodyUrl(check, ping.n)}
              hx-get={bodyUrl(check, ping.n)}
              hx-target="#ping-body"
              hx-swap="innerHTML"
            >
              full body
            </a>
          </>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
    </tr>
  );
}

export function PingLog({ check, data }: { check: Check; data: PingLogData }) {
  const live = data.before === undefined;
  const last = data.pings.at(-1);
  const older = data.pings.length === LOG_SIZE && last !== undefined && last.n > 1 ? last.n : null;
  return (
    <section id="check-pings" {...(live ? liveAttrs(check, `/checks/${check.id}/pings`) : {})}>
      <h2>Pings</h2>
      {data.runs ? <DurationChart runs={data.runs} /> : null}
      {data.pings.length === 0 ? (
        <p class="muted">{live ? 'No pings yet.' : 'No older pings.'}</p>
      ) : (
        <div class="overflow-auto">
          <table class="compact striped">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Kind</th>
                <th scope="col">Exit status</th>
                <th scope="col">Source</th>
                <th scope="col">Duration</th>
                <th scope="col">Body</th>
              </tr>
            </thead>
            <tbody>
              {data.pings.map((ping) => (
                <PingRow check={check} ping={ping} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p>
        {live ? null : <a href={`/checks/${check.id}`}>« Newest pings</a>}{' '}
        {older !== null ? <a href={`/checks/${check.id}/pings?before=${older}`}>Older pings »</a> : null}
      </p>
    </section>
  );
}

/** The ping numbered `n`, unless it has been pruned. */
export async function findPing(store: Store, check: Check, n: number): Promise<Ping | null> {
  const [ping] = await store.listPings(check.id, { limit: 1, after: n + 1 });
  return ping && ping.n === n ? ping : null;
}

export function PingBody({ check, ping }: { check: Check; ping: Ping }) {
  return (
    <article id={`ping-${ping.n}`}>
      <header>
        Ping #{ping.n} · {ping.kind}
        {ping.exitStatus !== null ? ` ${ping.exitStatus}` : ''} · {utcText(ping.at)}
        {ping.source ? ` · from ${ping.source}` : ''}
      </header>
      {ping.body ? <pre class="body">{ping.body}</pre> : <p class="muted">This ping had no body.</p>}
      {ping.truncated ? <p class="muted">The body was longer than the limit and was cut.</p> : null}
      <footer>
        <a href={`/checks/${check.id}`}>Back to {check.name}</a>
      </footer>
    </article>
  );
}

export interface HistoryData {
  flips: FlipRow[];
  incidents: Incident[];
}

export async function loadHistory(store: Store, check: Check): Promise<HistoryData> {
  const [flips, incidents] = await Promise.all([
    store.listFlips(check.id, { limit: FLIPS_SHOWN }),
    store.listIncidents([check.projectId], { checkId: check.id, limit: INCIDENTS_SHOWN }),
  ]);
  return { flips, incidents };
}

export function History({
  check,
  data,
  ctx,
  writable,
}: {
  check: Check;
  data: HistoryData;
  ctx: WebVariables;
  writable: boolean;
}) {
  return (
    <section id="check-history" {...liveAttrs(check, `/checks/${check.id}/history`)}>
      <h2>Incidents</h2>
      {data.incidents.length === 0 ? (
        <p class="muted">No incidents.</p>
      ) : (
        <table class="compact">
          <thead>
            <tr>
              <th scope="col">Opened</th>
              <th scope="col">Resolved</th>
              <th scope="col">Reason</th>
              <th scope="col">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {data.incidents.map((i) => (
              <tr>
                <td class="nowrap">{utcText(i.openedAt)}</td>
                <td class="nowrap">
                  {i.resolvedAt === null ? <strong>open</strong> : utcText(i.resolvedAt)}
                </td>
                <td>{i.reason}</td>
                <td>
                  {i.acknowledgedAt !== null ? (
                    `${utcText(i.acknowledgedAt)} by ${i.acknowledgedBy ?? 'someone'}`
                  ) : i.resolvedAt === null && writable ? (
                    <form method="post" action={`/incidents/${i.id}/acknowledge`} class="inline">
                      <Csrf ctx={ctx} />
                      <button type="submit">Acknowledge</button>
                    </form>
                  ) : (
                    <span class="muted">no</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Status changes</h2>
      {data.flips.length === 0 ? (
        <p class="muted">No status changes yet.</p>
      ) : (
        <table class="compact">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Change</th>
              <th scope="col">Reason</th>
              <th scope="col">Alert</th>
            </tr>
          </thead>
          <tbody>
            {data.flips.map((f) => (
              <tr>
                <td class="nowrap">{utcText(f.at)}</td>
                <td class="nowrap">
                  <StatusWord status={f.from} /> → <StatusWord status={f.to} />
                </td>
                <td>{f.reason}</td>
                <td>
                  {f.alert ?? <span class="muted">—</span>}
                  {f.alertNote ? <small class="muted"> {f.alertNote}</small> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
