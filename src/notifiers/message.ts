// What an alert says, decided once for every channel: each notifier only lays these parts out
// in its provider's format (attachment, embed, card, HTML, plain text).
import { formatDuration } from '../core/schedule.ts';
import type { AlertPayload } from './notifier.ts';

/** problem: down, failed, too long; warning: late; recovery: back up */
export type Tone = 'problem' | 'warning' | 'recovery';

/** One labelled line of detail, e.g. { label: 'Last ping', value: '1 hour 5 minutes ago' }. */
export interface Fact {
  label: string;
  value: string;
}

export interface AlertMessage {
  /** one line naming the check and what happened, e.g. `"nightly-backup" is DOWN` */
  title: string;
  /** why, in words: the flip's reason, e.g. "expected a ping every 1 hour; last ping 1 hour 5 minutes ago" */
  summary: string;
  tone: Tone;
  /** the tone as a colour: red, yellow or green, `#rrggbb` */
  color: string;
  /** the tone as a colour number, for APIs that take one (Discord) */
  colorInt: number;
  /** project, severity, schedule, last ping, down for — in that order, those that apply */
  facts: Fact[];
  /** the tail of the last ping's body, when there is one */
  bodyTail: string | null;
  /** where to look at the check */
  link: string;
}

export const TONE_COLORS: Record<Tone, string> = {
  problem: '#d93f0b',
  warning: '#e3b341',
  recovery: '#2ea043',
};

/** Characters of the ping body shown in a message; channels with tight limits cut further. */
export const BODY_TAIL_CHARS = 1000;

const HEADLINES: Record<AlertPayload['event'], string> = {
  down: 'is DOWN',
  failed: 'is DOWN: run failed',
  too_long: 'is DOWN: run took too long',
  late: 'is LATE',
  up: 'is back UP',
};

export function toneOf(event: AlertPayload['event']): Tone {
  if (event === 'up') return 'recovery';
  if (event === 'late') return 'warning';
  return 'problem';
}

export function describeAlert(p: AlertPayload): AlertMessage {
  const tone = toneOf(p.event);
  const name = `"${p.check.name}"`;
  let title = `${name} ${HEADLINES[p.event]}`;
  if (p.reminder !== undefined) title = `Reminder #${p.reminder}: ${name} is still DOWN`;
  if (p.test) title = `Test alert: ${title}`;

  const flipAt = Date.parse(p.flip.at);
  const facts: Fact[] = [
    { label: 'Project', value: p.project.name },
    { label: 'Severity', value: p.check.severity },
    { label: 'Schedule', value: p.check.schedule },
    { label: 'Last ping', value: lastPingWords(p.check.last_ping_at, flipAt) },
  ];
  if (p.event === 'up' && typeof p.downtime_ms === 'number') {
    facts.push({ label: 'Down for', value: formatDuration(p.downtime_ms) });
  }
  if (p.reminder !== undefined) {
    facts.push({ label: 'Down since', value: p.flip.at });
  }
  const body = p.last_ping_body?.trim() ? lastChars(p.last_ping_body, BODY_TAIL_CHARS) : null;
  const color = TONE_COLORS[tone];
  return {
    title,
    summary: p.flip.reason,
    tone,
    color,
    colorInt: Number.parseInt(color.slice(1), 16),
    facts,
    bodyTail: body,
    link: p.check.url,
  };
}

/** The message as plain text: title, summary, facts one per line, body tail, link. */
export function plainText(m: AlertMessage): string {
  const lines = [m.title, m.summary, '', ...m.facts.map((f) => `${f.label}: ${f.value}`)];
  if (m.bodyTail !== null) lines.push('', 'Last ping body (tail):', m.bodyTail);
  lines.push('', m.link);
  return lines.join('\n');
}

/** "never", or how long before the alert the last ping came ("1 hour 5 minutes ago"). */
function lastPingWords(lastPingAt: string | null, at: number): string {
  if (lastPingAt === null) return 'never';
  const ms = at - Date.parse(lastPingAt);
  return ms < 1000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** `text` cut to at most `max` characters, with "…" when cut. For providers with length limits. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${firstChars(text, Math.max(0, max - 1))}…`;
}

/** The last `max` characters of `text`, with "…" in front when cut (ping bodies: the end matters). */
export function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${lastChars(text, Math.max(0, max - 1))}`;
}

// Lengths count UTF-16 code units, as providers' limits do; a cut never splits a surrogate
// pair (half an emoji is invalid text, and some providers refuse it).
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

function firstChars(text: string, n: number): string {
  const cut = text.slice(0, n);
  return cut.length > 0 && isHighSurrogate(cut.charCodeAt(cut.length - 1)) ? cut.slice(0, -1) : cut;
}

function lastChars(text: string, n: number): string {
  if (n <= 0) return '';
  const cut = text.slice(-n);
  return isLowSurrogate(cut.charCodeAt(0)) ? cut.slice(1) : cut;
}

/** `text` with every ``` broken by zero-width spaces, so it cannot close a code fence around it. */
export function defuseFences(text: string): string {
  return text.replace(/```/g, '`\u200b`\u200b`');
}

/** A fenced code block (Markdown, Slack's mrkdwn, Discord) that `text` cannot close early. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${defuseFences(text)}\n\`\`\``;
}

/**
 * A CommonMark fenced block that keeps `text` exactly: the fence is longer than any run of
 * backticks in it. For renderers that follow CommonMark (Gotify); Slack and Discord do not.
 */
export function commonMarkCodeBlock(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
}

/** Text safe inside HTML elements and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
