// The SDK's one way to reach the server: a timeout per attempt, and retries with a short backoff
// for what may pass (network errors, timeouts, 5xx, 429). A 4xx other than 429 is an answer, not
// an outage: retrying it would only repeat the mistake.

/** Why a call to vigil failed. `status` is absent when no answer came (network error, timeout). */
export class VigilError extends Error {
  override name = 'VigilError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  retries: number;
}

export interface Request {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Answer {
  status: number;
  text: string;
}

const BACKOFF_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const retryable = (status: number) => status >= 500 || status === 429;

/** The server's `{ error: { message } }`, or the start of whatever else it said. */
function reason(answer: Answer): string {
  try {
    const parsed = JSON.parse(answer.text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: a ping answer or a proxy's page
  }
  return answer.text.slice(0, 200).trim() || 'no details';
}

async function attempt(options: TransportOptions, req: Request): Promise<Answer> {
  const res = await fetch(`${options.baseUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  // read the body even when unused: an unread body holds its connection open
  return { status: res.status, text: await res.text() };
}

/** Sends `req`, retrying `options.retries` times; returns a 2xx answer or throws a VigilError. */
export async function send(options: TransportOptions, req: Request): Promise<Answer> {
  const what = `${req.method} ${req.path}`;
  let last: VigilError | undefined;
  for (let n = 0; n <= options.retries; n++) {
    if (n > 0) await sleep(BACKOFF_MS * 2 ** (n - 1));
    let answer: Answer;
    try {
      answer = await attempt(options, req);
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const detail = timedOut ? `no answer within ${options.timeoutMs} ms` : describe(err);
      last = new VigilError(`${what}: ${detail}`, undefined, { cause: err });
      continue;
    }
    if (answer.status < 400) return answer;
    last = new VigilError(`${what}: ${answer.status} ${reason(answer)}`, answer.status);
    if (!retryable(answer.status)) throw last;
  }
  const tries = options.retries + 1;
  throw new VigilError(`${last!.message} (${tries} ${tries === 1 ? 'try' : 'tries'})`, last!.status, {
    cause: last!.cause,
  });
}

/** An error's message with its cause (fetch hides "connection refused" in `cause`). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
