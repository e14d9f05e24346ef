// A bare HTTP/1.1 client on a TCP socket, for hostile requests that fetch refuses to send or
// hides: any method token (PROPFIND), duplicate header lines, a Content-Length that lies,
// latin1 bytes in the path, chunked bodies. One request per connection. It reads a bounded
// part of each answer, stops at the headers of an event stream, keeps an answer that came
// before the body was all sent (a 413), and gives up after a time limit instead of waiting
// for a server that waits.
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** path and query as sent (characters up to U+00FF go out as single latin1 bytes) */
  path: string;
  /** header lines in order; a name may repeat */
  headers?: [string, string][];
  body?: Uint8Array;
  /**
   * true: the body goes out chunked, without a Content-Length. Otherwise a Content-Length
   * with the body's real size is added unless `headers` already has one (the lying kind).
   */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  /** lowercase names; a repeated header's values joined with ", " (set-cookie: one per line) */
  headers: Record<string, string>;
  setCookie: string[];
  /** at most `maxBody` bytes of the body, as UTF-8 */
  body: string;
}

/** `no-answer`: nothing came back in time; `closed`: the server closed the connection unanswered. */
export type RawOutcome = RawResponse | { status: 'no-answer' | 'closed'; error: string };

export function isAnswer(o: RawOutcome): o is RawResponse {
  return typeof o.status === 'number';
}

/** A short description of a request for failure messages (bodies by size and start only). */
export function describe(req: RawRequest): string {
  const body = req.body
    ? ` body(${req.body.byteLength} B${req.chunked ? ', chunked' : ''}): ${JSON.stringify(Buffer.from(req.body.subarray(0, 120)).toString('latin1'))}`
    : '';
  const headers = (req.headers ?? []).map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…` : v}`);
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}… (${req.path.length} chars)` : req.path;
  return `${req.method} ${path} [${headers.join(' | ')}]${body}`;
}

const CRLF = '\r\n';

function head(req: RawRequest, host: string): Buffer {
  const lines = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${host}`];
  for (const [k, v] of req.headers ?? []) lines.push(`${k}: ${v}`);
  const named = (name: string) => (req.headers ?? []).some(([k]) => k.toLowerCase() === name);
  if (req.chunked) {
    if (!named('transfer-encoding')) lines.push('Transfer-Encoding: chunked');
  } else if (!named('content-length') && req.body !== undefined) {
    lines.push(`Content-Length: ${req.body.byteLength}`);
  }
  return Buffer.from(lines.join(CRLF) + CRLF + CRLF, 'latin1');
}

interface Parsed {
  status: number;
  headers: Record<string, string>;
  setCookie: string[];
  bodyStart: number;
}

/** The first final (non-1xx) response head in `buf`, or null while it is incomplete. */
function parseHead(buf: Buffer): Parsed | null {
  let from = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', from, 'latin1');
    if (end === -1) return null;
    const [statusLine = '', ...lines] = buf.subarray(from, end).toString('latin1').split(CRLF);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    if (status >= 100 && status < 200) {
      from = end + 4; // 100 Continue: the real answer follows
      continue;
    }
    const headers: Record<string, string> = {};
    const setCookie: string[] = [];
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'set-cookie') setCookie.push(value);
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    return { status, headers, setCookie, bodyStart: end + 4 };
  }
}

/** The body so far: by Content-Length, chunks, or up to the close; `done` once it is whole. */
function bodyOf(p: Parsed, buf: Buffer, method: string): { bytes: Buffer; done: boolean } {
  const rest = buf.subarray(p.bodyStart);
  if (method === 'HEAD' || p.status === 204 || p.status === 304)
    return { bytes: Buffer.alloc(0), done: true };
  if (/chunked/i.test(p.headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = rest.indexOf(CRLF, at, 'latin1');
      if (eol === -1) return { bytes: Buffer.concat(parts), done: false };
      const size = Number.parseInt(rest.subarray(at, eol).toString('latin1'), 16);
      if (size === 0) return { bytes: Buffer.concat(parts), done: true };
      if (rest.byteLength < eol + 2 + size) return { bytes: Buffer.concat(parts), done: false };
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  const length = p.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return { bytes: rest.subarray(0, n), done: rest.byteLength >= n };
  }
  return { bytes: rest, done: false };
}

export function send(
  baseUrl: string,
  req: RawRequest,
  { timeoutMs = 10_000, maxBody = 256 * 1024 }: { timeoutMs?: number; maxBody?: number } = {},
): Promise<RawOutcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let parsed: Parsed | null = null;
    let settled = false;
    const finish = (o: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    /** What has come back, as an answer: whole, or cut off where the connection ended. */
    const answer = (): RawResponse | null => {
      if (!parsed) return null;
      const { bytes } = bodyOf(parsed, received, req.method);
      return {
        status: parsed.status,
        headers: parsed.headers,
        setCookie: parsed.setCookie,
        body: bytes.subarray(0, maxBody).toString('utf8'),
      };
    };
    const timer = setTimeout(
      () => finish(answer() ?? { status: 'no-answer', error: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      parsed ??= parseHead(received);
      if (!parsed) return;
      // a live stream never ends: its head is the answer
      if (/^text\/event-stream/.test(parsed.headers['content-type'] ?? '')) return finish(answer()!);
      const { done } = bodyOf(parsed, received, req.method);
      if (done || received.byteLength - parsed.bodyStart > maxBody) finish(answer()!);
    });
    // the server may close, or reset, under a body it refused: what it said before stands
    const ended = (why: string) => finish(answer() ?? { status: 'closed', error: why });
    socket.on('end', () => ended('closed by the server'));
    socket.on('close', () => ended('connection closed'));
    socket.on('error', (err) => ended(err.message));

    // The body goes out in pieces, and stops once an answer came (a 413 before the end).
    const body = req.body ?? new Uint8Array(0);
    let offset = 0;
    const writeMore = () => {
      while (offset < body.byteLength) {
        if (parsed || settled) return;
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.byteLength;
        const framed = req.chunked
          ? Buffer.concat([Buffer.from(`${piece.byteLength.toString(16)}${CRLF}`), piece, Buffer.from(CRLF)])
          : piece;
        if (!socket.write(framed)) {
          socket.once('drain', writeMore);
          return;
        }
      }
      if (req.chunked && !parsed && !settled) socket.write(`0${CRLF}${CRLF}`);
    };
    socket.once('connect', () => {
      socket.write(head(req, url.host));
      writeMore();
    });
  });
}
