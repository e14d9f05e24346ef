// Public badges: /badge/<badge key>/<target>.svg and .json. The target is a check's slug
// (exactly; slugs may contain '/') or else a tag, whose checks are summed up as one status.
// An unknown key and an unknown target get the same grey "not found", so a badge URL tells
// nothing about the project but that one status.
import type { Context, Hono } from 'hono';
import { etag } from 'hono/etag';
import { type OverallStatus, overallStatus } from '../../core/overall-status.ts';
import type { AppDeps } from '../../http/deps.ts';
import type { Store } from '../../store/store.ts';
import type { WebEnv } from '../session.ts';
import { type BadgeColor, badgeSvg } from './badge-svg.ts';
import { listAllChecks } from './list-all-checks.ts';

const DEFAULT_LABEL = 'vigil';
const MAX_LABEL = 40;
const MAX_KEY = 64;
const MAX_TARGET = 300;
const CACHE = 'max-age=60';

type Message = OverallStatus | 'paused' | 'not found';

const COLORS: Record<Message, BadgeColor> = {
  up: 'brightgreen',
  late: 'yellow',
  down: 'red',
  paused: 'lightgrey',
  unknown: 'lightgrey',
  'not found': 'lightgrey',
};

export function badgeRoutes(app: Hono<WebEnv>, deps: AppDeps): void {
  app.get('/badge/:key/*', etag(), async (c) => {
    // the raw path, split here: a slug's '/' is part of the target, not a route separator
    const [, , rawKey = '', ...rest] = new URL(c.req.url).pathname.split('/');
    const match = /^(.+)\.(svg|json)$/.exec(rest.join('/'));
    const format = match?.[2] === 'json' ? 'json' : 'svg';
    const key = decode(rawKey);
    const target = match?.[1] === undefined ? null : decode(match[1]);
    const label = labelOf(c.req.query('label'));
    const message =
      key && target && key.length <= MAX_KEY && target.length <= MAX_TARGET
        ? await badgeStatus(deps.store, key, target)
        : null;
    return sendBadge(c, format, label, message ?? 'not found');
  });
}

/** The target's status, or null when the key or the target names nothing. */
async function badgeStatus(store: Store, key: string, target: string): Promise<Message | null> {
  const project = await store.getProjectByBadgeKey(key);
  if (!project) return null;
  const check = await store.getCheckBySlug(project.id, target);
  if (check) return check.status === 'paused' ? 'paused' : overallStatus([check.status]);
  const tagged = await listAllChecks(store, project.id, { tag: target });
  return tagged.length === 0 ? null : overallStatus(tagged.map((ch) => ch.status));
}

function sendBadge(c: Context, format: 'svg' | 'json', label: string, message: Message): Response {
  const status = message === 'not found' ? 404 : 200;
  c.header('Cache-Control', CACHE);
  if (format === 'json') {
    return c.json({ schemaVersion: 1, label, message, color: COLORS[message] }, status);
  }
  return c.body(badgeSvg(label, message, COLORS[message]), status, {
    'Content-Type': 'image/svg+xml; charset=utf-8',
  });
}

function labelOf(query: string | undefined): string {
  const label = [...(query ?? '').trim()].slice(0, MAX_LABEL).join('');
  return label === '' ? DEFAULT_LABEL : label;
}

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}
