// What the check pages share: rendering a page or a fragment, finding a check of the signed-in
// user's project, the 403 and 404 pages, and the small pieces (status word, times) every view shows.
import { UUID_PATTERN } from '../../core/ids.ts';
import { nextCronRun, nextDue } from '../../core/schedule.ts';
import type { Status } from '../../core/types.ts';
import type { Check, Store } from '../../store/store.ts';
import { Page } from '../layout.tsx';
import {
  type Ctx,
  canWrite,
  messagePage,
  pageCtx,
  sendFragment,
  sendPage,
  wantsFragment,
} from '../render.tsx';

export type { Ctx, Html } from '../render.tsx';

export { canWrite, pageCtx, sendFragment, sendPage, wantsFragment };

/**
 * The check named by the `:id` parameter, if it belongs to the project the user is looking at.
 * Another project's check is treated as one that does not exist.
 */
export async function ownedCheck(c: Ctx, store: Store): Promise<Check | null> {
  const project = c.get('project');
  const id = c.req.param('id') ?? '';
  if (!project || !UUID_PATTERN.test(id)) return null;
  const check = await store.getCheck(id.toLowerCase());
  return check && check.projectId === project.id ? check : null;
}

export function notFoundPage(c: Ctx) {
  return messagePage(c, {
    status: 404,
    title: 'Not found',
    text: 'There is no such check in this project.',
    section: 'checks',
    back: { href: '/checks', label: 'Back to the checks' },
  });
}

export function forbiddenPage(c: Ctx) {
  return messagePage(c, {
    status: 403,
    title: 'Not allowed',
    text: `Your role in this project (${c.get('role') ?? 'none'}) can look at checks but not change them.`,
    section: 'checks',
  });
}

/** A user in no project yet has nothing to list. */
export function noProjectPage(c: Ctx) {
  return sendPage(
    c,
    <Page title="Checks" ctx={pageCtx(c)} section="checks">
      <h1>Checks</h1>
      <p class="muted">You are not a member of any project yet. Ask a project owner to add you.</p>
    </Page>,
  );
}

export function StatusWord({ status }: { status: Status }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

export const iso = (at: number) => new Date(at).toISOString();

/** "2026-01-05 12:00:00 UTC": what shows without JavaScript. */
export function utcText(at: number): string {
  return `${iso(at).slice(0, 19).replace('T', ' ')} UTC`;
}

/** A moment as a relative time once the script runs, as UTC before. */
export function When({ at, empty = '—' }: { at: number | null; empty?: string }) {
  if (at === null) return <span class="muted">{empty}</span>;
  return (
    <time datetime={iso(at)} title={utcText(at)} data-relative>
      {utcText(at)}
    </time>
  );
}

/**
 * When the check is next expected: the schedule's next time after its last ping, or for a
 * cron check that never pinged, the next time the cron fires. Null when nothing is expected.
 */
export function nextExpected(check: Check, now: number): number | null {
  if (check.status === 'paused') return null;
  const s = check.schedule;
  if (s.kind === 'none') return null;
  if (check.lastPingAt !== null) return nextDue(s, check.lastPingAt);
  return s.kind === 'cron' ? nextCronRun(s.expression, s.timezone, now) : null;
}

export function TagList({ tags }: { tags: string[] }) {
  return (
    <span class="tags">
      {tags.map((tag) => (
        <a href={`/checks?tag=${encodeURIComponent(tag)}`}>
          <span>{tag}</span>
        </a>
      ))}
    </span>
  );
}
