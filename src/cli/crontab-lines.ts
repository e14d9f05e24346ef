// Reading a user crontab for `vigil crontab import`: which lines are jobs, on what schedule and
// in which timezone, and how a job line reads once wrapped in `vigil run`. Pure: no I/O.
import { createHash } from 'node:crypto';
import { slugify } from '../core/slug.ts';

export type CrontabLine =
  /** a comment, a blank line, an environment line: copied as is */
  | { kind: 'keep'; text: string }
  /** a line vigil does not wrap, with the reason for the operator */
  | { kind: 'skip'; text: string; lineNo: number; note: string }
  | {
      kind: 'job';
      text: string;
      lineNo: number;
      /** the five fields (single-spaced) or the nickname */
      expression: string;
      /** the schedule exactly as written, kept in the wrapped line */
      schedule: string;
      timezone: string;
      command: string;
      slug: string;
      /** set when the line already runs under `vigil run` */
      wrapped: boolean;
    };

const ENV_LINE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const NICKNAME = /^(\s*)(@[a-z]+)(\s+)(.*)$/;
const FIELDS = /^(\s*)(\S+\s+\S+\s+\S+\s+\S+\s+\S+)(\s+)(.*)$/;
const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
/** `vigil run <slug> [--rid X] -- <command>`, vigil by name or by path */
const WRAPPED = /^(?:\S*\/)?vigil\s+run\s+(\S+)(?:\s+--rid(?:\s+|=)\S+)?\s+--\s+(.*)$/;
/**
 * Shell control operators: cron gives the whole line to sh, so `vigil run s -- a && b` would
 * watch only `a`. Such lines are left alone with a note (wrapping them in `sh -c '...'` breaks
 * on cron's `%`). Redirections are fine: they apply to vigil run, which passes the output on.
 */
const COMPOUND = /;|&&|\|\||\||(^|[^>&<])&(?![>&])|`|\$\(/;

function unquote(value: string): string {
  const v = value.trim();
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}

/** `backup.sh --full` -> "backup-sh-1a2b3c": the program's name and a hash of the whole command. */
export function slugForCommand(command: string): string {
  const words = command.trim().split(/\s+/);
  // `FOO=1 cmd` and `cd /x && cmd`-style prefixes: name the check after the first program
  const program = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) ?? 'job';
  const base = slugify(program.split('/').filter(Boolean).at(-1) ?? program).slice(0, 40);
  const hash = createHash('sha256').update(command.trim()).digest('hex').slice(0, 6);
  return `${base.replace(/-+$/, '')}-${hash}`;
}

export function parseCrontab(text: string, defaultTimezone: string): CrontabLine[] {
  let cronTz: string | null = null;
  let tz: string | null = null;
  const seen = new Map<string, number>();
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.map((text, i): CrontabLine => {
    const lineNo = i + 1;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'keep', text };
    const env = ENV_LINE.exec(text);
    if (env) {
      // CRON_TZ is the schedule's timezone (cronie); TZ, the job's, is the best guess without it
      if (env[1] === 'CRON_TZ') cronTz = unquote(env[2]!) || null;
      if (env[1] === 'TZ') tz = unquote(env[2]!) || null;
      return { kind: 'keep', text };
    }
    const nick = NICKNAME.exec(text);
    const match = nick ?? FIELDS.exec(text);
    if (!match) return { kind: 'skip', text, lineNo, note: 'not a crontab entry' };
    const schedule = match[2]!;
    if (nick && schedule === '@reboot')
      return { kind: 'skip', text, lineNo, note: '@reboot has no schedule to watch' };
    if (nick && !NICKNAMES.has(schedule)) return { kind: 'skip', text, lineNo, note: `unknown ${schedule}` };
    const rest = match[4]!;
    const wrapped = WRAPPED.exec(rest);
    const command = wrapped ? wrapped[2]! : rest;
    if (!wrapped && COMPOUND.test(command)) {
      return {
        kind: 'skip',
        text,
        lineNo,
        note: 'a compound command (; && || | & `...` $(...)): put it in a script and import again, or wrap it yourself',
      };
    }
    let slug = wrapped ? wrapped[1]! : slugForCommand(command);
    if (!wrapped) {
      // the same command twice (on two schedules): one check each, numbered in file order
      const n = (seen.get(slug) ?? 0) + 1;
      seen.set(slug, n);
      if (n > 1) slug = `${slug}-${n}`;
    }
    return {
      kind: 'job',
      text,
      lineNo,
      expression: schedule.split(/\s+/).join(' '),
      schedule,
      timezone: cronTz ?? tz ?? defaultTimezone,
      command,
      slug,
      wrapped: wrapped !== null,
    };
  });
}

/** The line as it reads after the import: a wrapped line stays exactly as it was. */
export function wrapLine(line: CrontabLine): string {
  if (line.kind !== 'job' || line.wrapped) return line.text;
  const indent = /^\s*/.exec(line.text)![0];
  return `${indent}${line.schedule} vigil run ${line.slug} -- ${line.command}`;
}
