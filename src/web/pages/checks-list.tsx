// The checks list: one row per check with its status, schedule, last ping and recent results;
// filtered by tag, status and name with a plain GET form (htmx swaps only the results when it
// runs), 50 checks a page with the store's cursor.
import type { Child } from 'hono/jsx';
import { z } from 'zod';
import { describeSchedule } from '../../core/schedule.ts';
import { STATUSES, type Status } from '../../core/types.ts';
import { Tag } from '../../http/api/check-schemas.ts';
import { decodeCursor } from '../../store/rows.ts';
import type { Check, Project, Store } from '../../store/store.ts';
import { Notice, Page } from '../layout.tsx';
import {
  type Ctx,
  canWrite,
  type Html,
  nextExpected,
  pageCtx,
  StatusWord,
  sendFragment,
  sendPage,
  TagList,
  When,
  wantsFragment,
} from './checks-common.tsx';
import { loadStrip, STRIP_SIZE, Strip, type StripMark } from './checks-strip.tsx';

export const PAGE_SIZE = 50;

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const SORTS = ['name', 'status', 'last'] as const;

const ListQuery = z.object({
  tag: z.preprocess(blank, Tag.optional()),
  status: z.preprocess(blank, z.enum(STATUSES, 'pick one of the listed statuses').optional()),
  q: z.preprocess(blank, z.string().trim().max(200, 'search for at most 200 characters').optional()),
  sort: z.preprocess(blank, z.enum(SORTS).default('name')),
  after: z.preprocess(
    blank,
    z
      .string()
      .max(500)
      .refine((s) => decodeCursor(s) !== null, 'this page link is out of date: start from the first page')
      .optional(),
  ),
});
type ListQuery = z.infer<typeof ListQuery>;
type RawQuery = Record<string, string | undefined>;

// Down first: what needs attention leads.
const STATUS_ORDER: Record<Status, number> = { down: 0, late: 1, unknown: 2, up: 3, new: 4, paused: 5 };

function sortPage(checks: Check[], sort: ListQuery['sort']): Check[] {
  if (sort === 'status') return [...checks].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  if (sort === 'last') return [...checks].sort((a, b) => (b.lastPingAt ?? -1) - (a.lastPingAt ?? -1));
  return checks;
}

function listUrl(q: Partial<ListQuery>): string {
  const params = new URLSearchParams();
  for (const key of ['tag', 'status', 'q', 'sort', 'after'] as const) {
    const v = q[key];
    if (v !== undefined && !(key === 'sort' && v === 'name')) params.set(key, v);
  }
  const s = params.toString();
  return s ? `/checks?${s}` : '/checks';
}

export async function checksListPage(c: Ctx, store: Store, now: number) {
  const project = c.get('project')!;
  const raw: RawQuery = c.req.query();
  const parsed = ListQuery.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    return sendPage(c, <ListPage c={c} raw={raw} errors={errors} />, 400);
  }
  const q = parsed.data;
  const filter = { tag: q.tag, status: q.status, q: q.q };
  const { checks, next } = await store.listChecks(project.id, filter, { limit: PAGE_SIZE, after: q.after });
  const strips = await Promise.all(checks.map((ch) => loadStrip(store, ch.id)));
  const rows = sortPage(checks, q.sort).map((check) => ({ check, marks: strips[checks.indexOf(check)]! }));
  const filtered = q.tag !== undefined || q.status !== undefined || q.q !== undefined;
  const results = (
    <Results rows={rows} now={now} q={q} next={next} filtered={filtered} project={project} c={c} />
  );
  if (wantsFragment(c)) return sendFragment(c, results);
  return sendPage(
    c,
    <ListPage c={c} raw={raw} errors={[]}>
      {results}
    </ListPage>,
  );
}

function ListPage({
  c,
  raw,
  errors,
  children,
}: {
  c: Ctx;
  raw: RawQuery;
  errors: string[];
  children?: Child;
}) {
  return (
    <Page title="Checks" ctx={pageCtx(c)} events="/api/v1/events" section="checks">
      <nav>
        <ul>
          <li>
            <h1>Checks</h1>
          </li>
        </ul>
        {canWrite(c) ? (
          <ul>
            <li>
              <a href="/checks/new">New check</a>
            </li>
          </ul>
        ) : null}
      </nav>
      <FilterForm raw={raw} />
      {errors.length > 0 ? (
        <Notice kind="error">
          {errors.map((e) => (
            <div>{e}</div>
          ))}
        </Notice>
      ) : null}
      {children}
    </Page>
  );
}

function FilterForm({ raw }: { raw: RawQuery }) {
  const live = { 'hx-get': '/checks', 'hx-include': 'closest form' };
  return (
    <form
      method="get"
      action="/checks"
      hx-get="/checks"
      hx-target="#checks-results"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      {/* biome-ignore lint/a11y/noRedundantRoles: Pico lays out input groups by this role */}
      <fieldset role="group">
        <input
          type="search"
          name="q"
          value={raw.q ?? ''}
          placeholder="Search by name"
          aria-label="Search by name"
          maxlength={200}
          hx-trigger="input changed delay:300ms, search"
          {...live}
        />
        <input
          type="text"
          name="tag"
          value={raw.tag ?? ''}
          placeholder="Tag"
          aria-label="Tag"
          hx-trigger="input changed delay:300ms"
          {...live}
        />
        <select name="status" aria-label="Status" hx-trigger="change" {...live}>
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option value={s} selected={raw.status === s}>
              {s}
            </option>
          ))}
        </select>
        <select name="sort" aria-label="Sort" hx-trigger="change" {...live}>
          <option value="name">by name</option>
          <option value="status" selected={raw.sort === 'status'}>
            down first
          </option>
          <option value="last" selected={raw.sort === 'last'}>
            last ping
          </option>
        </select>
        <button type="submit">Filter</button>
      </fieldset>
    </form>
  );
}

interface ResultsProps {
  c: Ctx;
  rows: { check: Check; marks: StripMark[] }[];
  now: number;
  q: ListQuery;
  next: string | null;
  filtered: boolean;
  project: Project;
}

function Results({ c, rows, now, q, next, filtered, project }: ResultsProps) {
  let body: Html;
  if (rows.length === 0 && q.after === undefined) {
    body = filtered ? (
      <p class="muted">
        No checks match these filters. <a href="/checks">Show all checks</a>
      </p>
    ) : (
      <p class="muted">
        No checks yet. {canWrite(c) ? <a href="/checks/new">Create one</a> : 'Create one'}, or let a job
        create its own by pinging <code>/ping/{project.pingKey}/&lt;slug&gt;?create=1</code>.
      </p>
    );
  } else {
    body = (
      <div class="overflow-auto">
        <table class="compact striped">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Name</th>
              <th scope="col">Tags</th>
              <th scope="col">Schedule</th>
              <th scope="col">Last ping</th>
              <th scope="col">Next due</th>
              <th scope="col">{`Last ${STRIP_SIZE} results`}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <CheckRow check={r.check} marks={r.marks} now={now} />
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  return (
    <div id="checks-results">
      {body}
      <p>
        {q.after !== undefined ? <a href={listUrl({ ...q, after: undefined })}>« First page</a> : null}{' '}
        {next ? <a href={listUrl({ ...q, after: next })}>Next page »</a> : null}
      </p>
    </div>
  );
}

export function CheckRow({ check, marks, now }: { check: Check; marks: StripMark[]; now: number }) {
  return (
    <tr
      id={`check-${check.id}`}
      data-live-check={check.id}
      hx-get={`/checks/${check.id}/row`}
      hx-trigger="live"
      hx-swap="outerHTML"
    >
      <td>
        <StatusWord status={check.status} />
      </td>
      <td>
        <a href={`/checks/${check.id}`}>{check.name}</a>
      </td>
      <td>
        <TagList tags={check.tags} />
      </td>
      <td>
        {/* vigil sends an http check's requests itself: say so where pushed checks say nothing */}
        {check.probe !== null && 'HTTP probe, '}
        {describeSchedule(check.schedule)}
      </td>
      <td class="nowrap">
        <When at={check.lastPingAt} empty="never" />
      </td>
      <td class="nowrap">
        <When at={nextExpected(check, now)} />
      </td>
      <td>
        <Strip marks={marks} />
      </td>
    </tr>
  );
}

export async function checkRowFragment(c: Ctx, store: Store, check: Check, now: number) {
  return sendFragment(c, <CheckRow check={check} marks={await loadStrip(store, check.id)} now={now} />);
}
