// What a failed run reports: the error's own words and where it came from, short enough for
// a ping body and a notification.

const STACK_LINES = 6;
const MAX_CHARS = 4000;

/** `Name: message` and the head of the stack, from anything a function can throw. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return truncate(`thrown: ${safeString(err)}`);
  const head = `${err.name}: ${err.message}`;
  // a V8 stack repeats the message before the frames; other engines give only the frames
  const stack = err.stack ?? '';
  const at = err.message ? stack.indexOf(err.message) : -1;
  const frames = (at >= 0 ? stack.slice(at + err.message.length) : stack)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(0, STACK_LINES - 1);
  return truncate([head, ...frames].join('\n'));
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

function truncate(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}
