import { userInfo } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Actor, cliActor } from '../audit/actor.ts';
import { type Config, loadConfig } from '../config.ts';
import type { Store } from '../store/store.ts';

/** Where a command writes, and what environment it reads: tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

export type Command = (args: string[], io: Io) => Promise<number>;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function nodeIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
  };
}

/** Who runs a command that changes the database directly, for the audit log: the OS user. */
export function cliActorOf(io: Io): Actor {
  const who = io.env.USER ?? io.env.LOGNAME ?? io.env.USERNAME;
  if (who) return cliActor(who.slice(0, 100));
  try {
    return cliActor(userInfo().username);
  } catch {
    return cliActor(null); // a uid with no passwd entry (some containers)
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags; unknown flags are a usage error (exit 2) that shows the help. */
export function parseFlags<O extends Options>(
  args: string[],
  options: O,
  help: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`, 2);
  }
}

/** Prints `data` as JSON with --json, otherwise the human text. */
export function print(io: Io, json: boolean | undefined, data: unknown, text: string): void {
  io.out(json ? `${JSON.stringify(data, null, 2)}\n` : text.endsWith('\n') ? text : `${text}\n`);
}

export async function withStore<T>(
  io: Io,
  fn: (store: Store, config: Readonly<Config>) => Promise<T>,
): Promise<T> {
  const config = loadConfig(io.env);
  // on use: the stores (drivers, migrations) are most of what a command would load otherwise
  const { openStore } = await import('../store/open-store.ts');
  const store = await openStore(config);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

/**
 * For commands with subcommands: the exit code when none was given (the help on stderr, 2) or
 * help was asked for (0); null to go on.
 */
export function helpOrUsage(
  sub: string | undefined,
  askedHelp: unknown,
  help: string,
  io: Io,
): number | null {
  if (sub === undefined) {
    io.err(help);
    return 2;
  }
  if (askedHelp === true || sub === '--help' || sub === '-h') {
    io.out(help);
    return 0;
  }
  return null;
}
