// `vigil run <check> -- <command>`: wraps a job. A start ping, the command with its output
// passed through, then the exit status with the output's tail. The job always runs and keeps
// its exit code, whatever happens to the pings.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { loadClientConfig } from '../client-config.ts';
import { CliError, type Command, type Io, parseFlags } from '../io.ts';
import {
  describeAction,
  giveUpLine,
  type PingAction,
  type PingResult,
  type PingTarget,
  resolvePingTarget,
  runId,
  sendPing,
} from '../ping-client.ts';

const HELP = `Usage:
  vigil run <check> [--rid auto|ID] -- <command> [args...]

Runs <command> and reports it to vigil: a start ping before, then its exit status (or a fail
when a signal killed it) with the last 10 KB of its output. vigil measures the duration.
<check> is the check's UUID, or its slug (needs VIGIL_PING_KEY, or VIGIL_API_KEY to look it up).
--rid auto|ID   pair the start and the end with a run id (auto: a random UUID), so
                overlapping runs of one job stay apart

stdin is the command's; its stdout and stderr pass through unchanged. vigil run exits with
the command's exit code (128 + the signal number when killed; 127 when it cannot be started).
When vigil cannot be reached (or answers 5xx), each ping is retried after 200 ms, 1 s and 3 s,
then given up with one line on stderr: the job is never held up for long or failed by vigil.
`;

/** How much of the combined output is sent with the end ping. */
export const TAIL_BYTES = 10 * 1024;
/** A run whose start was lost this recently gets one try at its end: vigil is probably still away. */
const QUICK_END_MS = 30_000;
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** Keeps the last `limit` bytes of what is pushed. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = TAIL_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    while (this.size - (this.chunks[0]?.byteLength ?? 0) >= this.limit) {
      this.size -= this.chunks.shift()!.byteLength;
    }
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks);
    if (bytes.byteLength > this.limit) bytes = bytes.subarray(bytes.byteLength - this.limit);
    // the cut may fall inside a UTF-8 character: drop its continuation bytes
    let start = 0;
    while (start < bytes.byteLength && start < 4 && (bytes[start]! & 0xc0) === 0x80) start++;
    return bytes.subarray(start).toString('utf8');
  }
}

interface Outcome {
  action: PingAction;
  exitCode: number;
  body: string;
}

function runChild(command: string, args: string[]): Promise<Outcome> {
  const tail = new OutputTail();
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const s of FORWARDED) process.on(s, forward);
    const unhook = () => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    child.stdout.on('data', (d: Buffer) => {
      tail.push(d);
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      tail.push(d);
      process.stderr.write(d);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      unhook();
      const exitCode = err.code === 'ENOENT' ? 127 : 126;
      const body = `vigil run: cannot start "${command}": ${err.message}`;
      process.stderr.write(`${body}\n`);
      resolve({ action: 'fail', exitCode, body });
    });
    child.once('exit', (code, signal) => {
      unhook();
      // A background process the job left behind may hold the pipes open: wait a little for
      // the rest of the output, not for it to exit.
      const done = () => {
        clearTimeout(timer);
        child.stdout.destroy();
        child.stderr.destroy();
        if (signal) {
          const exitCode = 128 + (constants.signals[signal] ?? 0);
          const body = `killed by ${signal}\n${tail.text()}`;
          resolve({ action: 'fail', exitCode, body });
        } else {
          resolve({ action: code ?? 1, exitCode: code ?? 1, body: tail.text() });
        }
      };
      const timer = setTimeout(done, 2000);
      child.once('close', done);
    });
  });
}

function split(args: string[]): { flags: string[]; command: string[] } {
  const at = args.indexOf('--');
  return at === -1 ? { flags: args, command: [] } : { flags: args.slice(0, at), command: args.slice(at + 1) };
}

/** Reports a ping; says nothing here: the caller prints at most one line per run. */
async function report(
  target: PingTarget,
  action: PingAction,
  rid: string | undefined,
  body?: string,
  quick = false,
) {
  return sendPing(target, action, { rid, body, ...(quick ? { backoffMs: [] } : {}) });
}

function failureLine(
  target: PingTarget,
  start: PingResult,
  end: PingResult,
  endAction: PingAction,
): string | null {
  if (start.ok && end.ok) return null;
  if (!end.ok && !start.ok) {
    return giveUpLine(`the start and the ${describeAction(endAction)}`, target, end.why);
  }
  const [what, why] = start.ok
    ? [describeAction(endAction), (end as { why: string }).why]
    : ['the start', (start as { why: string }).why];
  return giveUpLine(what, target, why);
}

export const runCommand: Command = async (args, io: Io) => {
  const { flags, command } = split(args);
  const { values, positionals } = parseFlags(flags, { rid: { type: 'string' } }, HELP, true);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1 || command.length === 0) {
    throw new CliError(`give one check, then -- and the command\n\n${HELP}`, 2);
  }
  let target: PingTarget;
  let rid: string | undefined;
  try {
    target = await resolvePingTarget(positionals[0]!, loadClientConfig(io.env));
    rid = runId(values.rid);
  } catch (err) {
    // A job is more important than its monitoring: it runs even when vigil run is misconfigured.
    if (!(err instanceof CliError)) throw err;
    io.err(`vigil run: ${err.message}; running the command unreported\n`);
    return (await runChild(command[0]!, command.slice(1))).exitCode;
  }

  const startedAt = Date.now();
  const start = await report(target, 'start', rid);
  const outcome = await runChild(command[0]!, command.slice(1));
  const quick = !start.ok && start.status === null && Date.now() - startedAt < QUICK_END_MS;
  const end = await report(target, outcome.action, rid, outcome.body, quick);
  const line = failureLine(target, start, end, outcome.action);
  if (line) io.err(line);
  return outcome.exitCode;
};
