// Reading a new password for the CLI: one line from a pipe (scripts, tests), or typed twice at
// a terminal without echo. Never from a flag, where it would end up in the shell's history.
import { CliError, type Io } from '../io.ts';

const MAX_INPUT = 4096;

export async function readPassword(io: Io): Promise<string> {
  if (!process.stdin.isTTY) return firstLine(process.stdin);
  const first = await typed(io, 'New password: ');
  const again = await typed(io, 'The same again: ');
  if (first !== again) throw new CliError('the two passwords differ; run the command again');
  return first;
}

async function firstLine(stream: NodeJS.ReadStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    text += chunk as string;
    if (text.includes('\n') || text.length > MAX_INPUT) break;
  }
  const line = text.split('\n')[0]!.replace(/\r$/, '');
  if (line === '') {
    throw new CliError(
      'no password on stdin: pipe it as one line, e.g. printf "%s\\n" "$PASSWORD" | vigil users ...',
      2,
    );
  }
  return line;
}

/** One line from the terminal in raw mode, echoing nothing. */
function typed(io: Io, prompt: string): Promise<string> {
  const stdin = process.stdin;
  io.err(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value: string[] = [];
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.err('\n');
      if (err) reject(err);
      else resolve(value.join(''));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value.push(ch);
      }
    };
    stdin.on('data', onData);
  });
}
