// pino's call shape on the Workers console: one JSON line per entry, which Workers Logs index
// by field. pino itself is left out of the bundle; this is all the code there calls.
import type { Log } from '../../log.ts';

const LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

export type LogLevel = keyof typeof LEVELS;

/** An Error as JSON.stringify would otherwise lose it (it has no own enumerable fields). */
function plain(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { type: value.name, message: value.message, stack: value.stack };
}

export function consoleLog(level: LogLevel): Log {
  const least = LEVELS[level];
  const at =
    (name: 'info' | 'warn' | 'error') =>
    (fields: Record<string, unknown>, msg: string): void => {
      if (LEVELS[name] < least) return;
      const entry: Record<string, unknown> = { level: name, msg };
      for (const [key, value] of Object.entries(fields)) entry[key] = plain(value);
      console[name](JSON.stringify(entry));
    };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}
